# Install rules and the exported CMake package `Tidemark`: find_package(Tidemark) in an app gives
# the imported target Tidemark::runtime (the runtime library, its public headers, and its
# dependencies Threads and Highway). Everything here is in the component `TidemarkRuntime`, so
#   cmake --install <build> --prefix <dir> --component TidemarkRuntime
# installs the runtime alone (the compiler tools need not be built).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TIDEMARK_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Tidemark)

install(TARGETS tidemark_runtime
  EXPORT TidemarkTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT TidemarkRuntime
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT TidemarkRuntime
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT TidemarkRuntime
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The public headers (the embedding API, Status, the plan builder, safetensors) and the plan
# schema. builder.h belongs to the compiler-side model builder (tidemark_builder), which the
# runtime package does not ship, so its header stays out too.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tidemark
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT TidemarkRuntime
  FILES_MATCHING PATTERN "*.h" PATTERN "*.fbs" PATTERN "builder.h" EXCLUDE)

install(EXPORT TidemarkTargets
  NAMESPACE Tidemark::
  DESTINATION ${TIDEMARK_INSTALL_CMAKEDIR}
  COMPONENT TidemarkRuntime)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/TidemarkConfig.cmake.in
  ${PROJECT_BINARY_DIR}/TidemarkConfig.cmake
  INSTALL_DESTINATION ${TIDEMARK_INSTALL_CMAKEDIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/TidemarkConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/TidemarkConfig.cmake
              ${PROJECT_BINARY_DIR}/TidemarkConfigVersion.cmake
  DESTINATION ${TIDEMARK_INSTALL_CMAKEDIR}
  COMPONENT TidemarkRuntime)
