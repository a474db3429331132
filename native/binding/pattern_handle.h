// The JS handle of a compiled pattern: a type-tagged External owning a shared plan, so an
// asynchronous call keeps the plan alive even if the handle is collected meanwhile.
#pragma once

#include <napi.h>

#include <memory>

#include "tessera/pattern.h"

namespace tessera_binding {

using PlanPtr = std::shared_ptr<const tessera::CompiledPattern>;

Napi::Value wrap_plan(Napi::Env env, PlanPtr plan);

// The plan behind a handle made by wrap_plan; throws naming `name` for anything else.
PlanPtr unwrap_plan(const Napi::Value& value, const char* name);

}  // namespace tessera_binding
