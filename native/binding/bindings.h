// Each binding file registers its functions on the addon's exports.
#pragma once

#include <napi.h>

namespace tessera_binding {

void register_attention(Napi::Env env, Napi::Object exports);
void register_runtime(Napi::Env env, Napi::Object exports);
void register_pattern(Napi::Env env, Napi::Object exports);
void register_linear(Napi::Env env, Napi::Object exports);
void register_layer_norm(Napi::Env env, Napi::Object exports);
void register_gelu(Napi::Env env, Napi::Object exports);
void register_softmax(Napi::Env env, Napi::Object exports);
void register_patchify(Napi::Env env, Napi::Object exports);
void register_add(Napi::Env env, Napi::Object exports);
void register_resample(Napi::Env env, Napi::Object exports);

}  // namespace tessera_binding
