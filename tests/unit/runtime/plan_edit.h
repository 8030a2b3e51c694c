// Field-level plan editing for tests: a valid plan's bytes -> FlatBuffers object API (PlanT), edit
// any field, write it back. Used by plan_corruption_test.cc and by plan-edit (the CLI tests).
//
// PackPlan writes everything with the generated object API except the steps' attribute unions,
// which it writes by hand so that a test can also make what the object API cannot: a step whose
// union type names a table that is absent, or whose table comes with another (or no) type.
#ifndef TIDEMARK_TESTS_UNIT_RUNTIME_PLAN_EDIT_H_
#define TIDEMARK_TESTS_UNIT_RUNTIME_PLAN_EDIT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "tidemark/plan_generated.h"

namespace tidemark {
namespace testing_plans {

namespace fb = ::tidemark::plan;

// How PackPlan writes one step's attribute union.
struct AttrsEdit {
  bool drop_table = false;    // Write no table (the type stays as it is, or as below).
  bool override_type = false; // Write `type` instead of the table's own type.
  fb::Attrs type = fb::Attrs::NONE;
};

inline std::unique_ptr<fb::PlanT> UnpackPlan(const std::vector<uint8_t> &bytes) {
  return std::unique_ptr<fb::PlanT>(fb::GetPlan(bytes.data())->UnPack());
}

// Serializes `plan`; `attrs_edits` maps a step index to how its attributes are written.
inline std::vector<uint8_t> PackPlan(const fb::PlanT &plan,
                                     const std::map<size_t, AttrsEdit> &attrs_edits = {}) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::StateInit>> inits;
  for (const auto &init : plan.state_init)
    inits.push_back(fb::CreateStateInit(fbb, init.get()));
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (const auto &tensor : plan.tensors)
    tensors.push_back(fb::CreateTensor(fbb, tensor.get()));
  std::vector<flatbuffers::Offset<fb::Step>> steps;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const fb::StepT &step = *plan.steps[i];
    AttrsEdit edit;
    auto it = attrs_edits.find(i);
    if (it != attrs_edits.end())
      edit = it->second;
    auto operands = step.operands.empty() ? 0 : fbb.CreateVector(step.operands);
    auto results = step.results.empty() ? 0 : fbb.CreateVector(step.results);
    flatbuffers::Offset<void> attrs = 0;
    if (!edit.drop_table && step.attrs.value != nullptr)
      attrs = step.attrs.Pack(fbb);
    const fb::Attrs type = edit.override_type ? edit.type : step.attrs.type;
    auto name = step.name.empty() ? 0 : fbb.CreateString(step.name);
    steps.push_back(fb::CreateStep(fbb, step.kernel, operands, results, type, attrs, name));
  }
  auto weights =
      plan.external_weights ? fb::CreateExternalWeights(fbb, plan.external_weights.get()) : 0;
  auto stats = plan.stats ? fb::CreatePlanStats(fbb, plan.stats.get()) : 0;
  auto producer = plan.producer.empty() ? 0 : fbb.CreateString(plan.producer);
  auto root =
      fb::CreatePlan(fbb, plan.version, plan.arena_bytes, plan.arena_alignment, plan.state_bytes,
                     plan.state_alignment, inits.empty() ? 0 : fbb.CreateVector(inits), weights,
                     tensors.empty() ? 0 : fbb.CreateVector(tensors),
                     steps.empty() ? 0 : fbb.CreateVector(steps), stats, producer);
  fb::FinishPlanBuffer(fbb, root);
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

} // namespace testing_plans
} // namespace tidemark

#endif // TIDEMARK_TESTS_UNIT_RUNTIME_PLAN_EDIT_H_
