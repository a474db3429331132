#include "args.h"

namespace tessera_binding {
namespace {

Napi::Error arg_error(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_TESSERA_INVALID_ARGUMENT"));
  return error;
}

template <class T, napi_typedarray_type Kind>
TypedView<T> typed_view(const Napi::Object& obj, const char* key, bool required,
                        const char* type_name) {
  Napi::Value value = obj.Get(key);
  if (!required && (value.IsUndefined() || value.IsNull())) return {};
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != Kind) {
    throw arg_error(obj.Env(), std::string(key) + ": expected a " + type_name);
  }
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  auto* bytes = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  return {reinterpret_cast<T*>(bytes), array.ElementLength()};
}

}  // namespace

TypedView<int32_t> require_int32(const Napi::Object& obj, const char* key) {
  return typed_view<int32_t, napi_int32_array>(obj, key, true, "Int32Array");
}

TypedView<uint8_t> require_uint8(const Napi::Object& obj, const char* key) {
  return typed_view<uint8_t, napi_uint8_array>(obj, key, true, "Uint8Array");
}

TypedView<uint8_t> optional_uint8(const Napi::Object& obj, const char* key) {
  return typed_view<uint8_t, napi_uint8_array>(obj, key, false, "Uint8Array");
}

Napi::Object require_object(const Napi::Value& value, const char* name) {
  if (!value.IsObject()) throw arg_error(value.Env(), std::string(name) + ": expected an object");
  return value.As<Napi::Object>();
}

double require_number(const Napi::Object& obj, const char* key) {
  Napi::Value value = obj.Get(key);
  if (!value.IsNumber()) throw arg_error(obj.Env(), std::string(key) + ": expected a number");
  return value.As<Napi::Number>().DoubleValue();
}

int64_t require_int(const Napi::Object& obj, const char* key, int64_t min_value) {
  const double x = require_number(obj, key);
  if (!(x >= static_cast<double>(min_value)) || x > 9007199254740991.0 ||
      x != static_cast<double>(static_cast<int64_t>(x))) {
    throw arg_error(obj.Env(),
                    std::string(key) + ": expected an integer >= " + std::to_string(min_value));
  }
  return static_cast<int64_t>(x);
}

bool optional_bool(const Napi::Object& obj, const char* key) {
  Napi::Value value = obj.Get(key);
  return value.IsBoolean() && value.As<Napi::Boolean>().Value();
}

std::string optional_string(const Napi::Object& obj, const char* key, const char* fallback) {
  Napi::Value value = obj.Get(key);
  return value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string(fallback);
}

std::vector<int64_t> require_int_array(const Napi::Object& obj, const char* key, size_t length) {
  Napi::Value value = obj.Get(key);
  if (!value.IsArray() || value.As<Napi::Array>().Length() != length) {
    throw arg_error(obj.Env(), std::string(key) + ": expected an array of " +
                                   std::to_string(length) + " integers");
  }
  Napi::Object array = value.As<Napi::Object>();
  std::vector<int64_t> out(length);
  for (size_t i = 0; i < length; i++) {
    Napi::Value item = array.Get(static_cast<uint32_t>(i));
    const double x = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : -1.0;
    if (!(x >= 0.0) || x > 9007199254740991.0 ||
        x != static_cast<double>(static_cast<int64_t>(x))) {
      throw arg_error(obj.Env(),
                      std::string(key) + "[" + std::to_string(i) + "]: expected an integer >= 0");
    }
    out[i] = static_cast<int64_t>(x);
  }
  return out;
}

tessera::Isa optional_isa(const Napi::Object& obj, const char* key) {
  const std::string name = optional_string(obj, key, "auto");
  if (name == "auto") return tessera::Isa::kAuto;
  if (name == "scalar") return tessera::Isa::kScalar;
  if (name == "avx2") return tessera::Isa::kAvx2;
  if (name == "avx512") return tessera::Isa::kAvx512;
  throw arg_error(obj.Env(), std::string(key) +
                                 ": expected 'auto', 'scalar', 'avx2' or 'avx512', received '" +
                                 name + "'");
}

TypedView<float> require_float32(const Napi::Object& obj, const char* key) {
  return typed_view<float, napi_float32_array>(obj, key, true, "Float32Array");
}

TypedView<float> optional_float32(const Napi::Object& obj, const char* key) {
  return typed_view<float, napi_float32_array>(obj, key, false, "Float32Array");
}

TypedView<int32_t> optional_int32(const Napi::Object& obj, const char* key) {
  return typed_view<int32_t, napi_int32_array>(obj, key, false, "Int32Array");
}

void check_extent(Napi::Env env, const char* name, const std::vector<int64_t>& sizes,
                  const std::vector<int64_t>& strides, size_t length) {
  // Highest element offset touched: sum (size - 1) * stride, each step overflow-checked.
  uint64_t last = 0;
  for (size_t i = 0; i < sizes.size(); i++) {
    if (sizes[i] == 0) return;  // empty tensor touches nothing
    uint64_t step = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(sizes[i] - 1),
                               static_cast<uint64_t>(strides[i]), &step) ||
        __builtin_add_overflow(last, step, &last)) {
      throw arg_error(env, std::string(name) + ": strides overflow");
    }
  }
  if (last >= length) {
    throw arg_error(env, std::string(name) + ": shape and strides reach element " +
                             std::to_string(last) + " but the data has " + std::to_string(length) +
                             " elements");
  }
}

Napi::Error status_error(Napi::Env env, const tessera::Status& status) {
  Napi::Error error = Napi::Error::New(env, status.message());
  const char* code = "ERR_TESSERA_INTERNAL";
  switch (status.code()) {
    case tessera::StatusCode::kInvalidArgument:
      code = "ERR_TESSERA_INVALID_ARGUMENT";
      break;
    case tessera::StatusCode::kUnsupported:
      code = "ERR_TESSERA_UNSUPPORTED";
      break;
    case tessera::StatusCode::kOutOfMemory:
      code = "ERR_TESSERA_OUT_OF_MEMORY";
      break;
    default:
      break;
  }
  error.Set("code", Napi::String::New(env, code));
  return error;
}

}  // namespace tessera_binding
