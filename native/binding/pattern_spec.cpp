#include "pattern_spec.h"

#include <string>
#include <vector>

#include "args.h"

namespace tessera_binding {
namespace {

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

}  // namespace

std::shared_ptr<tessera::PatternSpec> parse_pattern_spec(const Napi::Object& obj) {
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
      spec->inner = parse_pattern_spec(require_object(obj.Get("inner"), "pattern.inner"));
      break;
    }
    case tessera::PatternType::kMask: {
      const TypedView<uint8_t> bits = optional_uint8(obj, "bits");
      spec->bits.assign(bits.data, bits.data + bits.length);
      break;
    }
    case tessera::PatternType::kFull:
    case tessera::PatternType::kStridedColumn:  // internal: parse_type never returns it
      break;
  }
  return spec;
}

}  // namespace tessera_binding
