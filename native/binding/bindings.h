// Each binding file registers its functions on the addon's exports.
#pragma once

#include <napi.h>

namespace tessera_binding {

void register_attention(Napi::Env env, Napi::Object exports);
void register_runtime(Napi::Env env, Napi::Object exports);
void register_pattern(Napi::Env env, Napi::Object exports);

}  // namespace tessera_binding
