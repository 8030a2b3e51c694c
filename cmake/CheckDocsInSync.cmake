# Fails when a reference page in docs/ differs from the one mlir-tblgen generates from the ODS.
foreach(pair IN ITEMS "compiler/dialect/TideDialect.md=dialect.md" "passes/Passes.md=passes-reference.md")
  string(REPLACE "=" ";" parts "${pair}")
  list(GET parts 0 generated)
  list(GET parts 1 committed)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${BINARY_DIR}/${generated}
                          ${SOURCE_DIR}/docs/${committed} RESULT_VARIABLE differs)
  if(differs)
    message(FATAL_ERROR "docs/${committed} is stale: run scripts/gen-docs.sh and commit it")
  endif()
endforeach()
message(STATUS "generated reference docs are in sync")
