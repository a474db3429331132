// Each binding file of the CUDA addon (tessera_cuda.node) registers its functions on the
// addon's exports; the argument helpers they share.
#pragma once

#include <napi.h>

#include "tessera/status.h"

namespace tessera_binding {

void register_cuda_info(Napi::Env env, Napi::Object exports);
void register_buffers(Napi::Env env, Napi::Object exports);
void register_cuda_attention(Napi::Env env, Napi::Object exports);
void register_cuda_patterns(Napi::Env env, Napi::Object exports);

// Throws `status` as a JS error (args.h status_error) when it failed.
void throw_if_failed(Napi::Env env, const tessera::Status& status);

// args.device: a CUDA device index (throws naming `device` when it is not one).
int require_device(const Napi::Object& args);

}  // namespace tessera_binding
