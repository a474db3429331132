// The plan of a strided pattern on the CPU: its two halves (tessera/pattern.h, StridedSplit),
// which compile_pattern builds in place of the strided tile plan.
#pragma once

#include "tessera/pattern.h"

namespace tessera {

// out: no tiles, seq_q / seq_k / causal, out->strided = the local (sliding, radius stride - 1)
// and column (kStridedColumn) plans, and the pair counts of both. spec: a checked strided spec.
Status compile_strided_split(const PatternSpec& spec, int64_t seq_q, int64_t seq_k, bool causal,
                             CompiledPattern* out);

}  // namespace tessera
