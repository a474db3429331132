// compilePattern(spec, seqQ, seqK, causal) -> { handle, queryTiles, keyTiles, partialTiles,
// allowedPairs, computedPairs }. spec is lib/patterns' normalized PatternSpec (validated there
// first; check_pattern re-checks what the plan builder relies on).
#include <napi.h>

#include <string>

#include "args.h"
#include "bindings.h"
#include "pattern_handle.h"
#include "tessera/pattern.h"

namespace tessera_binding {
namespace {

const napi_type_tag kPlanTag = {0x7e55e7a0c0de4a11ULL, 0x9a77e2b5d1f00d5eULL};

tessera::PatternType parse_type(Napi::Env env, const std::string& type) {
  using tessera::PatternType;
  if (type == "full") return PatternType::kFull;
  if (type == "sliding") return PatternType::kSliding;
  if (type == "strided") return PatternType::kStrided;
  if (type == "fixed") return PatternType::kFixed;
  if (type == "neighborhood") return PatternType::kNeighborhood;
  if (type == "axial") return PatternType::kAxial;
  if (type == "global") return PatternType::kGlobal;
  if (type == "mask") return PatternType::kMask;
  throw status_error(env, tessera::Status::Invalid("pattern.type: unknown type '" + type + "'"));
}

std::vector<int64_t> int_list(const Napi::Object& obj, const char* key) {
  Napi::Value value = obj.Get(key);
  const size_t length = value.IsArray() ? value.As<Napi::Array>().Length() : 0;
  return require_int_array(obj, key, length);
}

std::shared_ptr<tessera::PatternSpec> parse_spec(const Napi::Object& obj) {
  auto spec = std::make_shared<tessera::PatternSpec>();
  spec->type = parse_type(obj.Env(), optional_string(obj, "type", ""));
  switch (spec->type) {
    case tessera::PatternType::kSliding:
      spec->radius = require_int(obj, "radius", 0);
      break;
    case tessera::PatternType::kStrided:
      spec->stride = require_int(obj, "stride", 1);
      break;
    case tessera::PatternType::kFixed:
      spec->block = require_int(obj, "block", 1);
      spec->summary = require_int(obj, "summary", 0);
      break;
    case tessera::PatternType::kNeighborhood:
      spec->grid = int_list(obj, "grid");
      spec->window = int_list(obj, "window");
      spec->dilation = int_list(obj, "dilation");
      spec->offset = require_int(obj, "offset", 0);
      break;
    case tessera::PatternType::kAxial: {
      spec->grid = int_list(obj, "grid");
      spec->offset = require_int(obj, "offset", 0);
      spec->attended.assign(spec->grid.size(), false);
      for (int64_t axis : int_list(obj, "axes")) {
        if (axis >= static_cast<int64_t>(spec->grid.size())) {
          throw status_error(obj.Env(), tessera::Status::Invalid("pattern.axes: out of range"));
        }
        spec->attended[axis] = true;
      }
      break;
    }
    case tessera::PatternType::kGlobal: {
      const TypedView<int32_t> tokens = optional_int32(obj, "tokens");
      spec->tokens.assign(tokens.data, tokens.data + tokens.length);
      spec->inner = parse_spec(require_object(obj.Get("inner"), "pattern.inner"));
      break;
    }
    case tessera::PatternType::kMask: {
      const TypedView<uint8_t> bits = optional_uint8(obj, "bits");
      spec->bits.assign(bits.data, bits.data + bits.length);
      break;
    }
    case tessera::PatternType::kFull:
      break;
  }
  return spec;
}

Napi::Value compile_pattern(const Napi::CallbackInfo& info) {
  const std::shared_ptr<tessera::PatternSpec> spec = parse_spec(require_object(info[0], "pattern"));
  Napi::Object sizes = require_object(info[1], "sizes");
  auto plan = std::make_shared<tessera::CompiledPattern>();
  tessera::Status status =
      tessera::compile_pattern(*spec, require_int(sizes, "seqQ", 1), require_int(sizes, "seqK", 1),
                               optional_bool(sizes, "causal"), plan.get());
  if (!status.ok()) throw status_error(info.Env(), status);
  Napi::Object out = Napi::Object::New(info.Env());
  int64_t partial = 0;
  for (const tessera::KeyTile& tile : plan->key_tiles) partial += tile.mask >= 0 ? 1 : 0;
  out.Set("queryTiles", static_cast<double>(plan->query_tiles.size()));
  out.Set("keyTiles", static_cast<double>(plan->key_tiles.size()));
  out.Set("partialTiles", static_cast<double>(partial));
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
