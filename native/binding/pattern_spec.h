// lib/patterns' normalized PatternSpec (a plain JS object, validated there first) -> the C++
// tessera::PatternSpec that compile_pattern takes. Shared by the CPU addon (compilePattern) and
// the CUDA addon (uploadPattern), which each build their own plan from the same spec.
#pragma once

#include <napi.h>

#include <memory>

#include "tessera/pattern.h"

namespace tessera_binding {

// Throws a Napi::Error naming the field (pattern.type, pattern.axes, ...) when it is unusable;
// compile_pattern re-checks what the plan builder relies on.
std::shared_ptr<tessera::PatternSpec> parse_pattern_spec(const Napi::Object& obj);

}  // namespace tessera_binding
