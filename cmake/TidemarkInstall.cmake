# Install rules and the exported CMake package `Tidemark` (find_package(Tidemark) in apps).
include(GNUInstallDirs)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tidemark DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
