# tide-run from the command line: every bad input is a clear message and a non-zero exit (never a
# crash, never a partial output file), and saved weights resume training exactly (Adam's step
# count included). Variables: BINARY_DIR (the build), TIDE_RUN, PLAN_MAKER (e2e-mlp-plan),
# WORK_DIR (scratch).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} --target tide-run e2e-mlp-plan
                        plan-edit
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building tide-run failed:\n${out}\n${err}")
endif()
# plan-edit (tests/unit/runtime/plan_edit_tool.cc) writes a valid plan with one field edited.
set(PLAN_EDIT ${BINARY_DIR}/tests/unit/runtime/plan-edit)

# Runs tide-run with ARGN; expects exit code `code` and `expected` (a regex) in stdout+stderr.
# A run that takes more than a minute (a hang) fails.
function(expect_run name code expected)
  execute_process(COMMAND ${TIDE_RUN} ${ARGN} WORKING_DIRECTORY ${WORK_DIR} TIMEOUT 60
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

# Plan paths that are not regular files (issue 9): a directory used to abort (uncaught
# std::ios_base::failure, exit 134), /dev/zero to be read until std::bad_alloc, a FIFO to block.
expect_run(directory-plan 1 "cannot load plan '\\.'.*is a directory, not a regular file" .)
expect_run(device-plan 1 "plan file '/dev/zero' is a character device, not a regular file"
           /dev/zero)
file(REMOVE ${WORK_DIR}/plan.fifo)
execute_process(COMMAND mkfifo ${WORK_DIR}/plan.fifo RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mkfifo failed")
endif()
expect_run(fifo-plan 1 "plan file 'plan.fifo' is a FIFO, not a regular file" plan.fifo)
# 3 GiB, sparse: refused by its size, unread.
execute_process(COMMAND truncate -s 3G ${WORK_DIR}/big.tplan RESULT_VARIABLE rc)
if(rc EQUAL 0)
  expect_run(too-large-plan 1 "has 3221225472 bytes, more than the 2147483647 bytes a plan can have"
             big.tplan)
  file(REMOVE ${WORK_DIR}/big.tplan)
endif()

# A step whose attribute union type is set but whose table is missing (issue 9: segfault).
execute_process(COMMAND ${PLAN_EDIT} ${WORK_DIR}/sgd.tplan ${WORK_DIR}/noattrs.tplan
                        drop-attrs-table first
                RESULT_VARIABLE rc OUTPUT_VARIABLE edit_out ERROR_VARIABLE edit_err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "plan-edit failed: ${edit_out}${edit_err}")
endif()
expect_run(attrs-without-table 1
           "DATA_LOSS: cannot load plan 'noattrs.tplan': step [0-9]+ declares attribute type MatMulAttrs but carries no attribute table"
           noattrs.tplan)

# Declared sizes against the memory cap (issue 9): refused before anything is allocated.
execute_process(COMMAND ${PLAN_EDIT} ${WORK_DIR}/sgd.tplan ${WORK_DIR}/huge-state.tplan
                        state-bytes 1099511627776 RESULT_VARIABLE rc)
expect_run(huge-state 1
           "RESOURCE_EXHAUSTED: .*the plan needs [0-9]+ bytes \\(state 1099511627776 \\+ arena [0-9]+ .*more than the memory cap of [0-9]+ bytes"
           huge-state.tplan)
expect_run(max-memory-refuses 1 "more than the memory cap of 1048576 bytes" sgd.tplan
           --max-memory 1M)
expect_run(max-memory-fits 0 "\"memory_cap_bytes\": 67108864," sgd.tplan --max-memory=64MiB
           --report=json)
expect_run(max-memory-none 0 "\"memory_cap_bytes\": 18446744073709551615," sgd.tplan
           --max-memory none --report=json)
expect_run(max-memory-plan-file 1 "plan file 'sgd.tplan' has [0-9]+ bytes, more than the memory cap of 100 bytes"
           sgd.tplan --max-memory 100)
expect_run(max-memory-bad-suffix 2 "--max-memory needs a byte count such as 536870912, 512M or 4G"
           sgd.tplan --max-memory 12Q)
expect_run(max-memory-zero 2 "--max-memory must be at least 1 byte" sgd.tplan --max-memory 0)
expect_run(max-memory-overflow 2 "--max-memory value '99999999999T' does not fit in 64 bits"
           sgd.tplan --max-memory 99999999999T)

# Threads: a bounded count, and a clean error when the system cannot create them (issue 9: under
# an address-space limit the load hung forever after 511 threads).
expect_run(too-many-threads 2 "--threads must be in \\[1, 1024\\], got 1025" sgd.tplan
           --threads 1025)
# AddressSanitizer reserves terabytes of shadow address space at start-up, so an instrumented
# tide-run cannot start under `ulimit -v` at all: the case only runs in the normal build.
if(DEFINED ENV{ASAN_OPTIONS})
  message(STATUS "threads-under-ulimit: skipped under AddressSanitizer")
else()
execute_process(COMMAND sh -c "ulimit -s 8192 && ulimit -v 1048576 && exec \"$0\" \"$@\""
                        ${TIDE_RUN} sgd.tplan --threads 1000
                WORKING_DIRECTORY ${WORK_DIR} TIMEOUT 60
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT "${rc}" STREQUAL "1" OR NOT "${err}" MATCHES
   "RESOURCE_EXHAUSTED: .*cannot start 1000 threads: cannot start worker thread [0-9]+ of 999")
  message(FATAL_ERROR "threads-under-ulimit: exit '${rc}'\n${out}\n${err}")
endif()
message(STATUS "threads-under-ulimit: ok")
endif()

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

# Weights and inputs files that are not regular files, or larger than the cap; saving over a FIFO
# (the rename would replace it) is refused and leaves it in place.
expect_run(weights-directory 1 "cannot read weights file '\\.'.*is a directory" sgd.tplan
           --weights .)
expect_run(inputs-fifo 1 "cannot read inputs file 'plan.fifo'.*is a FIFO" sgd.tplan
           --inputs plan.fifo)
# (The cap is above the plan file's 2512 bytes, below the 3208 bytes of the file given as weights.)
expect_run(weights-over-cap 1 "cannot read weights file 'adam.tplan'.*more than the memory cap of 3000 bytes"
           sgd.tplan --weights adam.tplan --max-memory 3000)
expect_run(save-onto-fifo 1 "cannot save weights to 'plan.fifo'.*exists and is not a regular file"
           sgd.tplan --save-weights plan.fifo)
execute_process(COMMAND test -p ${WORK_DIR}/plan.fifo RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "save-onto-fifo replaced the FIFO")
endif()

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

# Checkpoints: --save-every 2 over 5 Adam steps writes after steps 2 and 4, then the final save
# after 5; with {step} in the name each is its own file, bit-identical to the file a run of that
# many steps saves. Checkpoints do not count as the steps' heap allocations.
expect_run(checkpoints 0 "\"checkpoints\": \\[2, 4\\],.*\"saved_weights\": \"ck-5.safetensors\""
           adam.tplan --steps 5 --seed 5 --save-every 2 --save-weights ck-{step}.safetensors
           --report=json)
string(JSON ck_allocs GET "${RUN_OUTPUT}" allocations_per_step)
if(NOT ck_allocs EQUAL 0)
  message(FATAL_ERROR "checkpoints: ${ck_allocs} heap allocations per step, expected 0")
endif()
foreach(steps 2 4 5)
  expect_run(checkpoint-reference-${steps} 0 "" adam.tplan --steps ${steps} --seed 5
             --save-weights ref-${steps}.safetensors)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK_DIR}/ck-${steps}.safetensors
                          ${WORK_DIR}/ref-${steps}.safetensors RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "checkpoint after step ${steps} differs from a ${steps}-step run's save")
  endif()
endforeach()
if(EXISTS ${WORK_DIR}/ck-1.safetensors OR EXISTS ${WORK_DIR}/ck-3.safetensors)
  message(FATAL_ERROR "checkpoints: a file for a step that is not a multiple of 2")
endif()
expect_run(save-every-alone 2 "--save-every needs --save-weights FILE" sgd.tplan --save-every 2)
expect_run(save-every-zero 2 "--save-every must be in \\[1, 1000000\\], got 0" sgd.tplan
           --save-every 0 --save-weights w.safetensors)
expect_run(checkpoint-nowhere 1 "checkpoint after step 1: cannot save weights to 'no/dir/w.st'"
           sgd.tplan --steps 3 --save-every 1 --save-weights no/dir/w.st)
message(STATUS "checkpoints: after steps 2 and 4 equal 2- and 4-step runs")
