# Sets up LLVM/MLIR 19 for the directory that includes this file (and its subdirectories only).
# Included by compiler/, passes/, tools/ that use MLIR, and their tests; never by runtime/.
if(NOT MLIR_DIR)
  find_program(TIDEMARK_LLVM_CONFIG NAMES llvm-config-19 llvm-config)
  if(TIDEMARK_LLVM_CONFIG)
    execute_process(COMMAND ${TIDEMARK_LLVM_CONFIG} --prefix OUTPUT_VARIABLE _tm_llvm_prefix
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(MLIR_DIR ${_tm_llvm_prefix}/lib/cmake/mlir CACHE PATH "MLIR CMake package")
  endif()
endif()
find_package(MLIR CONFIG REQUIRED)
if(NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "Tidemark needs LLVM/MLIR 19; found ${LLVM_PACKAGE_VERSION} at ${MLIR_DIR}")
endif()
if(LLVM_VERSION_MAJOR LESS 20)
  # Without this, Ninja re-runs mlir-tblgen on every build with LLVM 19's TableGen rules.
  cmake_policy(SET CMP0116 OLD)
endif()
list(APPEND CMAKE_MODULE_PATH ${MLIR_CMAKE_DIR} ${LLVM_CMAKE_DIR})
set(LLVM_RUNTIME_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/bin)
set(LLVM_LIBRARY_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/lib)
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)
include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
include_directories(${PROJECT_SOURCE_DIR}/compiler/include ${PROJECT_BINARY_DIR}/compiler/include
                    ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
add_definitions(${LLVM_DEFINITIONS})
