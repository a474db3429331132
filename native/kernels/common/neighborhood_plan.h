// The direct neighborhood kernel's plan (tessera/pattern.h, NeighborhoodPlan), built by
// compile_pattern for the neighborhood patterns that kernel handles.
#pragma once

#include "tessera/pattern.h"

namespace tessera {

// Most positions outside the grid (global keys) the direct kernel takes as extra slots.
constexpr int64_t kMaxNeighborhoodGlobals = 64;

// Sets plan->neighborhood when the direct kernel applies to spec (a neighborhood pattern with
// few global positions and key lines that fit the per-thread cache), and makes
// plan->computed_pairs count what the SIMD kernels then compute. plan holds the tile plan.
void plan_neighborhood(const PatternSpec& spec, CompiledPattern* plan);

}  // namespace tessera
