// Strided attention from its two plans (CompiledPattern::strided, built by compile_pattern), on
// every ISA: the halves run on the ISA's pattern kernel, whose scalar form is their reference.
#pragma once

#include "tessera/pattern.h"

namespace tessera {

// The local band into out and the columns into a scratch output, each with its rows'
// log-sum-exp (natural log), then per row, with m the larger of the two:
//   out = (out e^(lse_local - m) + column e^(lse_column - m)) / (e^(lse_local - m) + e^(lse_column
//   - m))
// the softmax over the union of the two disjoint key sets. Checked on every ISA against the fp64
// dense reference given the strided mask (test/ops/pattern-attention.test.ts).
//   q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
Status strided_attention(const AttentionParams& p, const StridedSplit& split,
                         const RunOptions& opts);

}  // namespace tessera
