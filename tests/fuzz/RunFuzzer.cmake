# Runs one libFuzzer binary for a ctest test.
#   MODE=smoke: fuzz for SECONDS seconds from the seed corpora CORPORA (';'-separated), keeping
#               what it finds in WORK_DIR/corpus; a crash, leak, timeout or out-of-memory input
#               is saved under WORK_DIR/findings and fails the test.
#   MODE=replay: run every file in the directories CORPORA once (seed and regression inputs);
#               fails if any input crashes. Passes when the directories hold no input.
# OPTIONS: extra libFuzzer flags (';'-separated), e.g. -dict=FILE -max_len=N.
# Findings of an earlier run move aside, so that each run reports its own.
if(IS_DIRECTORY ${WORK_DIR}/findings)
  file(REMOVE_RECURSE ${WORK_DIR}/findings-previous)
  file(RENAME ${WORK_DIR}/findings ${WORK_DIR}/findings-previous)
endif()
file(MAKE_DIRECTORY ${WORK_DIR}/corpus ${WORK_DIR}/findings)
set(inputs "")
foreach(dir IN LISTS CORPORA)
  if(IS_DIRECTORY ${dir})
    file(GLOB files LIST_DIRECTORIES false ${dir}/*)
    list(FILTER files EXCLUDE REGEX "/README[^/]*$")
    list(APPEND inputs ${files})
  endif()
endforeach()
set(common -rss_limit_mb=2560 -timeout=25 -artifact_prefix=${WORK_DIR}/findings/ ${OPTIONS})
if(MODE STREQUAL "replay")
  list(LENGTH inputs count)
  if(count EQUAL 0)
    message(STATUS "no inputs in ${CORPORA}")
    return()
  endif()
  execute_process(COMMAND ${FUZZER} ${common} ${inputs} RESULT_VARIABLE code)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${FUZZER} failed (${code}) on one of the ${count} inputs above")
  endif()
  message(STATUS "${count} inputs ran cleanly")
  return()
endif()
set(seed_dirs "")
foreach(dir IN LISTS CORPORA)
  if(IS_DIRECTORY ${dir})
    list(APPEND seed_dirs ${dir})
  endif()
endforeach()
execute_process(COMMAND ${FUZZER} ${common} -max_total_time=${SECONDS} -print_final_stats=1
                        ${WORK_DIR}/corpus ${seed_dirs}
                RESULT_VARIABLE code)
file(GLOB findings ${WORK_DIR}/findings/*)
if(NOT code EQUAL 0 OR findings)
  message(FATAL_ERROR "${FUZZER} found a problem (exit ${code}); inputs: ${findings}\n"
                      "Triage: docs/hardening.md")
endif()
