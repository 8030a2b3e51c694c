// plan-edit: writes a copy of a valid plan with one field edited (plan_edit.h), so the command-line
// tests can feed tide-run the corrupt plans the unit tests build in memory.
//
//   plan-edit IN OUT drop-attrs-table STEP   the step keeps its union type, loses the table
//                                            (STEP: an index, or "first" = the first step that
//                                            has attributes)
//   plan-edit IN OUT state-bytes N           Plan.state_bytes = N
//   plan-edit IN OUT arena-bytes N           Plan.arena_bytes = N
// Exit 0 on success, 1 on any error (message on stderr). Test tool: it trusts IN to be a plan
// (it runs the FlatBuffers verifier first, nothing more).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "plan_edit.h"

namespace {

using tidemark::testing_plans::AttrsEdit;
namespace fb = ::tidemark::plan;

int fail(const std::string &message) {
  std::fprintf(stderr, "plan-edit: %s\n", message.c_str());
  return 1;
}

bool parseCount(const std::string &text, uint64_t *out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *out = std::strtoull(text.c_str(), nullptr, 10);
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 5)
    return fail("usage: plan-edit IN OUT (drop-attrs-table STEP|state-bytes N|arena-bytes N)");
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (bytes.empty() || !fb::VerifyPlanBuffer(verifier))
    return fail(std::string("'") + argv[1] + "' is not a valid plan");
  std::unique_ptr<fb::PlanT> plan = tidemark::testing_plans::UnpackPlan(bytes);
  std::map<size_t, AttrsEdit> edits;
  const std::string what = argv[3], value = argv[4];
  uint64_t number = 0;
  if (what == "drop-attrs-table") {
    size_t step = plan->steps.size();
    if (value == "first") {
      for (size_t s = 0; s < plan->steps.size() && step == plan->steps.size(); ++s)
        if (plan->steps[s]->attrs.type != fb::Attrs::NONE)
          step = s;
    } else if (parseCount(value, &number)) {
      step = static_cast<size_t>(number);
    }
    if (step >= plan->steps.size() || plan->steps[step]->attrs.type == fb::Attrs::NONE)
      return fail("no step '" + value + "' with attributes");
    edits[step].drop_table = true;
    std::printf("step %zu: attribute type %s kept, table dropped\n", step,
                fb::EnumNameAttrs(plan->steps[step]->attrs.type));
  } else if ((what == "state-bytes" || what == "arena-bytes") && parseCount(value, &number)) {
    (what == "state-bytes" ? plan->state_bytes : plan->arena_bytes) = number;
  } else {
    return fail("unknown edit '" + what + " " + value + "'");
  }
  const std::vector<uint8_t> out = tidemark::testing_plans::PackPlan(*plan, edits);
  std::ofstream file(argv[2], std::ios::binary);
  file.write(reinterpret_cast<const char *>(out.data()), static_cast<std::streamsize>(out.size()));
  return file ? 0 : fail(std::string("cannot write '") + argv[2] + "'");
}
