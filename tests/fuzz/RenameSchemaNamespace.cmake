# Copies the plan schema IN to OUT with its namespace renamed to tidemark.fuzzplan, so the
# object-API code generated for the fuzz mutator cannot clash with the runtime's plan_generated.h.
file(READ ${IN} schema)
string(REPLACE "namespace tidemark.plan;" "namespace tidemark.fuzzplan;" renamed "${schema}")
if(renamed STREQUAL schema)
  message(FATAL_ERROR "${IN}: no 'namespace tidemark.plan;' line to rename")
endif()
file(WRITE ${OUT} "${renamed}")
