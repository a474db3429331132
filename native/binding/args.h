// Unpacking JavaScript arguments into plain C++ values. Every helper throws a Napi::Error
// (a JS exception, never an abort) that names the argument when the value is unusable.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/cpu_features.h"
#include "tessera/status.h"

namespace tessera_binding {

// A Float32Array, Int32Array or Uint8Array seen as a pointer + element count, plus a reference that
// keeps the JS object alive while asynchronous work uses the memory.
template <class T>
struct TypedView {
  T* data = nullptr;
  size_t length = 0;
};

Napi::Object require_object(const Napi::Value& value, const char* name);
double require_number(const Napi::Object& obj, const char* key);
int64_t require_int(const Napi::Object& obj, const char* key, int64_t min_value);
bool optional_bool(const Napi::Object& obj, const char* key);
std::string optional_string(const Napi::Object& obj, const char* key, const char* fallback);
std::vector<int64_t> require_int_array(const Napi::Object& obj, const char* key, size_t length);
// 'auto' (also when absent), 'scalar', 'avx2' or 'avx512'.
tessera::Isa optional_isa(const Napi::Object& obj, const char* key);

TypedView<float> require_float32(const Napi::Object& obj, const char* key);
TypedView<float> optional_float32(const Napi::Object& obj, const char* key);
TypedView<int32_t> optional_int32(const Napi::Object& obj, const char* key);
TypedView<int32_t> require_int32(const Napi::Object& obj, const char* key);
TypedView<uint8_t> require_uint8(const Napi::Object& obj, const char* key);
TypedView<uint8_t> optional_uint8(const Napi::Object& obj, const char* key);

// Checks that every element of a [sizes] tensor with element strides [strides] lies inside
// a buffer of `length` elements (overflow-safe). Throws naming `name` otherwise.
void check_extent(Napi::Env env, const char* name, const std::vector<int64_t>& sizes,
                  const std::vector<int64_t>& strides, size_t length);

// Converts a failed Status into a JS Error with a `code` property.
Napi::Error status_error(Napi::Env env, const tessera::Status& status);

}  // namespace tessera_binding
