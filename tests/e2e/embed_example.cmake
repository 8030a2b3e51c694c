# End-to-end check of the installed runtime package: builds the runtime, installs it into a fresh
# prefix, configures and builds examples/embed against it with find_package(Tidemark), runs it and
# checks its output. Variables: SOURCE_DIR, BINARY_DIR (the main build), WORK_DIR (scratch).
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(STEP_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run_step("building the runtime" ${CMAKE_COMMAND} --build ${BINARY_DIR} --target tidemark_runtime)
run_step("installing the runtime"
         ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${prefix} --component TidemarkRuntime)
foreach(expected include/tidemark/runtime.h include/tidemark/plan_builder.h
                 lib/cmake/Tidemark/TidemarkConfig.cmake)
  if(NOT EXISTS ${prefix}/${expected})
    message(FATAL_ERROR "the install is missing ${expected}")
  endif()
endforeach()
run_step("configuring examples/embed"
         ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/embed -B ${WORK_DIR}/embed -G Ninja
         -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix})
run_step("building examples/embed" ${CMAKE_COMMAND} --build ${WORK_DIR}/embed)
run_step("running embed" ${WORK_DIR}/embed/embed)
message(STATUS "embed printed:\n${STEP_OUTPUT}")
# Worked out in examples/embed/main.cc's plan: relu(x W1 + b1) = [4 4 1.5 0; 1 0 0 0],
# y = that W2 = [7 1; 1 0]; against target [6 1; 1 2] the MSE is (1 + 0 + 0 + 4) / 4 = 1.25.
foreach(line "arena 128 bytes, state 192 bytes" "y = 7 1 1 0" "loss = 1.25" "steps 3,")
  string(FIND "${STEP_OUTPUT}" "${line}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "embed output lacks '${line}'")
  endif()
endforeach()
