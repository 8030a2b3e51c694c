# tide-run's memory and allocation report on a plan large enough that its planned bytes dominate
# the process: on 1 and 2 threads, heap allocations per step == 0, and the measured peak resident
# growth during the steps lies between half the planned state + arena (so the measurement sees
# the plan's memory at all) and planned bytes + the fixed overhead stated in docs/tide-run.md.
# Variables: BINARY_DIR, TIDE_RUN, PLAN_MAKER, WORK_DIR, OVERHEAD_BYTES.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} --target tide-run e2e-mlp-plan
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building tide-run failed:\n${out}\n${err}")
endif()
execute_process(COMMAND ${PLAN_MAKER} --optimizer adam --lr 0.001 --batch 256 --features 512
                        --hidden 1024 --classes 256 --packing reuse -o ${WORK_DIR}/mlp.tplan
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "e2e-mlp-plan failed")
endif()

foreach(threads 1 2)
  execute_process(COMMAND ${TIDE_RUN} ${WORK_DIR}/mlp.tplan --steps 4 --threads ${threads}
                          --report=json
                  RESULT_VARIABLE rc OUTPUT_VARIABLE report ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "tide-run failed (${rc}): ${err}")
  endif()
  foreach(field allocations_per_step step_peak_growth_bytes planned_bytes state_bytes arena_bytes)
    string(JSON ${field} GET "${report}" ${field})
  endforeach()
  math(EXPR upper "${planned_bytes} + ${OVERHEAD_BYTES}")
  math(EXPR lower "(${state_bytes} + ${arena_bytes}) / 2")
  message(STATUS "${threads} thread(s): ${allocations_per_step} allocations/step, peak growth "
                 "${step_peak_growth_bytes} B in [${lower}, ${upper}] (planned ${planned_bytes})")
  if(NOT allocations_per_step EQUAL 0)
    message(FATAL_ERROR "${allocations_per_step} heap allocations per step, expected 0")
  endif()
  if(step_peak_growth_bytes GREATER upper OR step_peak_growth_bytes LESS lower)
    message(FATAL_ERROR "peak growth ${step_peak_growth_bytes} outside [${lower}, ${upper}]")
  endif()
endforeach()
