// The two-plan form of a strided pattern (tessera/pattern.h, StridedSplit), built by
// compile_pattern when it computes fewer pairs than the strided tile plan.
#pragma once

#include "tessera/pattern.h"

namespace tessera {

// Sets plan->strided for a strided spec when its local and column plans together compute at
// most kStridedSplitGain of the pairs of plan's tiles (plan holds the tile plan), and makes
// plan->computed_pairs count what the SIMD kernels then compute. Other specs: nothing to do.
Status plan_strided_split(const PatternSpec& spec, CompiledPattern* plan);

// The split must at least save this share of the computed pairs to pay for its merge pass.
constexpr double kStridedSplitGain = 0.8;

}  // namespace tessera
