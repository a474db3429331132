// compilePattern(spec, seqQ, seqK, causal) -> { handle, queryTiles, keyTiles, partialTiles,
// allowedPairs, computedPairs }. spec is lib/patterns' normalized PatternSpec (validated there
// first; check_pattern re-checks what the plan builder relies on).
#include <napi.h>

#include <cstdint>
#include <string>

#include "args.h"
#include "bindings.h"
#include "op_registry.h"
#include "pattern_handle.h"
#include "pattern_spec.h"
#include "tessera/pattern.h"

namespace tessera_binding {
namespace {

const napi_type_tag kPlanTag = {0x7e55e7a0c0de4a11ULL, 0x9a77e2b5d1f00d5eULL};

struct TileCounts {
  int64_t query = 0, key = 0, partial = 0;
};

// The plan's tiles, or for a strided plan those of its two halves.
TileCounts count_tiles(const tessera::CompiledPattern& plan) {
  if (plan.strided) {
    const TileCounts local = count_tiles(plan.strided->local);
    const TileCounts column = count_tiles(plan.strided->column);
    return {local.query + column.query, local.key + column.key, local.partial + column.partial};
  }
  TileCounts counts{static_cast<int64_t>(plan.query_tiles.size()),
                    static_cast<int64_t>(plan.key_tiles.size()), 0};
  for (const tessera::KeyTile& tile : plan.key_tiles) counts.partial += tile.mask >= 0 ? 1 : 0;
  return counts;
}

Napi::Value compile_pattern(const Napi::CallbackInfo& info) {
  const std::shared_ptr<tessera::PatternSpec> spec =
      parse_pattern_spec(require_object(info[0], "pattern"));
  Napi::Object sizes = require_object(info[1], "sizes");
  auto plan = std::make_shared<tessera::CompiledPattern>();
  const int64_t seq_q = require_int(sizes, "seqQ", 1), seq_k = require_int(sizes, "seqK", 1);
  const bool causal = optional_bool(sizes, "causal");
  tessera::Status status = run_guarded(
      [&] { return tessera::compile_pattern(*spec, seq_q, seq_k, causal, plan.get()); });
  if (!status.ok()) throw status_error(info.Env(), status);
  Napi::Object out = Napi::Object::New(info.Env());
  const TileCounts tiles = count_tiles(*plan);
  out.Set("queryTiles", static_cast<double>(tiles.query));
  out.Set("keyTiles", static_cast<double>(tiles.key));
  out.Set("partialTiles", static_cast<double>(tiles.partial));
  out.Set("allowedPairs", static_cast<double>(plan->allowed_pairs));
  out.Set("computedPairs", static_cast<double>(plan->computed_pairs));
  out.Set("handle", wrap_plan(info.Env(), plan));
  return out;
}

}  // namespace

Napi::Value wrap_plan(Napi::Env env, PlanPtr plan) {
  auto* owned = new PlanPtr(std::move(plan));
  Napi::External<PlanPtr> handle =
      Napi::External<PlanPtr>::New(env, owned, [](Napi::Env, PlanPtr* p) { delete p; });
  handle.TypeTag(&kPlanTag);
  return handle;
}

PlanPtr unwrap_plan(const Napi::Value& value, const char* name) {
  if (!value.IsExternal() || !value.As<Napi::External<PlanPtr>>().CheckTypeTag(&kPlanTag)) {
    throw status_error(
        value.Env(), tessera::Status::Invalid(std::string(name) + ": expected a compiled pattern"));
  }
  return *value.As<Napi::External<PlanPtr>>().Data();
}

void register_pattern(Napi::Env env, Napi::Object exports) {
  exports.Set("compilePattern", Napi::Function::New(env, compile_pattern, "compilePattern"));
}

}  // namespace tessera_binding
