# Fails when any tracked C++ source differs from what clang-format (the repo's .clang-format) gives.
file(GLOB_RECURSE _sources RELATIVE ${SOURCE_DIR}
  ${SOURCE_DIR}/compiler/*.cpp ${SOURCE_DIR}/compiler/*.h
  ${SOURCE_DIR}/passes/*.cpp ${SOURCE_DIR}/passes/*.h
  ${SOURCE_DIR}/runtime/*.cc ${SOURCE_DIR}/runtime/*.h
  ${SOURCE_DIR}/include/*.h
  ${SOURCE_DIR}/tools/*.cpp ${SOURCE_DIR}/tools/*.cc ${SOURCE_DIR}/tools/*.h
  ${SOURCE_DIR}/tests/*.cpp ${SOURCE_DIR}/tests/*.cc ${SOURCE_DIR}/tests/*.h
  ${SOURCE_DIR}/bench/*.cpp ${SOURCE_DIR}/bench/*.cc
  ${SOURCE_DIR}/examples/*.cpp ${SOURCE_DIR}/examples/*.cc)
set(_bad "")
foreach(_f IN LISTS _sources)
  execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror --style=file ${_f}
                  WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT _rc EQUAL 0)
    list(APPEND _bad ${_f})
  endif()
endforeach()
list(LENGTH _sources _n)
if(_bad)
  string(REPLACE ";" "\n  " _list "${_bad}")
  message(FATAL_ERROR "clang-format: these files need formatting (run scripts/format.sh):\n  ${_list}")
endif()
message(STATUS "clang-format: ${_n} files formatted correctly")
