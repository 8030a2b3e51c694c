# tide-run from the command line: every bad input is a clear message and a non-zero exit (never a
# crash, never a partial output file), and saved weights resume training exactly (Adam's step
# count included). Variables: BINARY_DIR (the build), TIDE_RUN, PLAN_MAKER (e2e-mlp-plan),
# WORK_DIR (scratch).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} --target tide-run e2e-mlp-plan
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building tide-run failed:\n${out}\n${err}")
endif()

# Runs tide-run with ARGN; expects exit code `code` and `expected` (a regex) in stdout+stderr.
function(expect_run name code expected)
  execute_process(COMMAND ${TIDE_RUN} ${ARGN} WORKING_DIRECTORY ${WORK_DIR}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT "${rc}" STREQUAL "${code}")
    message(FATAL_ERROR "${name}: exit '${rc}', expected ${code}\n${out}\n${err}")
  endif()
  if(NOT "${out}${err}" MATCHES "${expected}")
    message(FATAL_ERROR "${name}: output does not match '${expected}':\n${out}\n${err}")
  endif()
  set(RUN_OUTPUT "${out}" PARENT_SCOPE)
  message(STATUS "${name}: ok")
endfunction()

function(make_plan file optimizer hidden)
  execute_process(COMMAND ${PLAN_MAKER} --optimizer ${optimizer} --lr 0.01 --batch 4 --features 6
                          --hidden ${hidden} --classes 3 --packing reuse -o ${WORK_DIR}/${file}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "e2e-mlp-plan failed for ${file}")
  endif()
endfunction()

make_plan(sgd.tplan sgd 8)
make_plan(adam.tplan adam 8)
make_plan(wide.tplan sgd 16)

# Command line.
expect_run(no-plan 2 "no plan file given")
expect_run(bad-steps 2 "--steps must be in \\[1, 1000000\\], got 0" sgd.tplan --steps 0)
expect_run(bad-threads 2 "--threads needs an integer, got 'two'" sgd.tplan --threads two)
expect_run(unknown-flag 2 "unknown option '--bogus'" sgd.tplan --bogus)
expect_run(two-plans 2 "more than one plan" sgd.tplan adam.tplan)
expect_run(inputs-and-seed 2 "exclude each other" sgd.tplan --inputs x --seed 1)
expect_run(bad-report 2 "--report must be 'text' or 'json'" sgd.tplan --report=xml)

# Plans.
expect_run(missing-plan 1 "cannot load plan 'nothing.tplan'.*cannot open" nothing.tplan)
file(WRITE ${WORK_DIR}/text.tplan "this is not a plan")
expect_run(text-plan 1 "cannot load plan 'text.tplan'" text.tplan)
execute_process(COMMAND head -c 200 ${WORK_DIR}/sgd.tplan OUTPUT_FILE ${WORK_DIR}/truncated.tplan)
expect_run(truncated-plan 1 "cannot load plan 'truncated.tplan'" truncated.tplan)

# Weights: save some, then feed them where they do not fit.
expect_run(save-sgd 0 "saved weights +sgd.safetensors" sgd.tplan --steps 2
           --save-weights sgd.safetensors)
expect_run(save-adam 0 "saved weights +adam.safetensors \\(optimizer steps 2\\)" adam.tplan
           --steps 2 --save-weights adam.safetensors)
expect_run(missing-weights-file 1 "cannot read weights file 'none.safetensors'" sgd.tplan
           --weights none.safetensors)
expect_run(shape-mismatch 1
           "state tensor 'layers.0.weight' f32 \\[6, 16\\] but the weights file has 'layers.0.weight' f32 \\[6, 8\\]"
           wide.tplan --weights sgd.safetensors)
expect_run(missing-state 1 "lacks 8 of the plan's 12 state tensors.*--weights-partial" adam.tplan
           --weights sgd.safetensors)
expect_run(partial-state 0 "8 state tensor\\(s\\) kept the plan's values" adam.tplan
           --weights sgd.safetensors --weights-partial)
expect_run(unknown-state 1 "'layers.0.weight.adam_m'.*the plan has no state tensor of that name"
           sgd.tplan --weights adam.safetensors)
execute_process(COMMAND head -c 100 ${WORK_DIR}/sgd.safetensors
                OUTPUT_FILE ${WORK_DIR}/truncated.safetensors)
expect_run(truncated-weights 1 "cannot read weights file 'truncated.safetensors'" sgd.tplan
           --weights truncated.safetensors)

# Inputs.
expect_run(wrong-inputs 1 "inputs file has tensor 'layers.0.weight'.*no inputs of that name"
           sgd.tplan --inputs sgd.safetensors)

# Saving into a missing directory fails and leaves nothing behind.
expect_run(save-nowhere 1 "cannot save weights to 'no/such/dir/w.safetensors'" sgd.tplan
           --save-weights no/such/dir/w.safetensors)
if(EXISTS ${WORK_DIR}/no)
  message(FATAL_ERROR "save-nowhere created output")
endif()

# Resume: 3 Adam steps in one run equal 2 steps, save, then 1 step from the saved state (the
# optimizer step count travels in the file's metadata, so the bias correction continues).
expect_run(adam-3 0 "" adam.tplan --steps 3 --seed 5 --report=json)
string(JSON loss3 GET "${RUN_OUTPUT}" losses 2)
expect_run(adam-2 0 "" adam.tplan --steps 2 --seed 5 --save-weights resume.safetensors)
expect_run(adam-resume 0 "" adam.tplan --steps 1 --seed 5 --weights resume.safetensors
           --report=json)
string(JSON resumed GET "${RUN_OUTPUT}" losses 0)
string(JSON resumed_steps GET "${RUN_OUTPUT}" optimizer_steps)
if(NOT loss3 STREQUAL resumed OR NOT resumed_steps EQUAL 3)
  message(FATAL_ERROR "resume: step 3 loss ${loss3}, resumed ${resumed} (optimizer steps "
                      "${resumed_steps}, expected 3)")
endif()
message(STATUS "resume: step 3 loss ${loss3} == resumed ${resumed}")
