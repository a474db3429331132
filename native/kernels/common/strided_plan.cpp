#include "common/strided_plan.h"

#include <memory>

namespace tessera {

Status plan_strided_split(const PatternSpec& spec, CompiledPattern* plan) {
  if (spec.type != PatternType::kStrided) return Status::Ok();
  auto split = std::make_shared<StridedSplit>();
  PatternSpec local;
  local.type = PatternType::kSliding;
  local.radius = spec.stride - 1;
  Status status = compile_pattern(local, plan->seq_q, plan->seq_k, plan->causal, &split->local);
  if (!status.ok()) return status;
  PatternSpec column;
  column.type = PatternType::kStridedColumn;
  column.stride = spec.stride;
  status = compile_pattern(column, plan->seq_q, plan->seq_k, plan->causal, &split->column);
  if (!status.ok()) return status;
  const int64_t computed = split->local.computed_pairs + split->column.computed_pairs;
  if (computed > kStridedSplitGain * static_cast<double>(plan->computed_pairs)) {
    return Status::Ok();
  }
  plan->computed_pairs = computed;
  plan->strided = std::move(split);
  return Status::Ok();
}

}  // namespace tessera
