// Options every CPU kernel entry point takes: which SIMD path to run and how many threads.
#pragma once

#include "tessera/cpu_features.h"
#include "tessera/status.h"

namespace tessera {

struct RunOptions {
  Isa isa = Isa::kAuto;
  int max_threads = 0;  // <= 0: the pool's default
};

// Resolves opts.isa for this CPU, or fails naming the ISA that is not available.
Status choose_isa(const RunOptions& opts, Isa* isa);

}  // namespace tessera
