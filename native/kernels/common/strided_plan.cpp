#include "common/strided_plan.h"

#include <memory>

namespace tessera {

Status compile_strided_split(const PatternSpec& spec, int64_t seq_q, int64_t seq_k, bool causal,
                             CompiledPattern* out) {
  auto split = std::make_shared<StridedSplit>();
  PatternSpec local;
  local.type = PatternType::kSliding;
  local.radius = spec.stride - 1;
  Status status = compile_tile_plan(local, seq_q, seq_k, causal, &split->local);
  if (!status.ok()) return status;
  PatternSpec column;
  column.type = PatternType::kStridedColumn;
  column.stride = spec.stride;
  status = compile_tile_plan(column, seq_q, seq_k, causal, &split->column);
  if (!status.ok()) return status;
  *out = CompiledPattern();
  out->seq_q = seq_q;
  out->seq_k = seq_k;
  out->causal = causal;
  // The halves are disjoint: together they allow exactly the strided pattern's pairs.
  out->allowed_pairs = split->local.allowed_pairs + split->column.allowed_pairs;
  out->computed_pairs = split->local.computed_pairs + split->column.computed_pairs;
  out->strided = std::move(split);
  return Status::Ok();
}

}  // namespace tessera
