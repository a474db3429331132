// The JS handle of a packed weight matrix: a type-tagged External owning a shared matrix, so an
// asynchronous call keeps the weights alive even if the handle is collected meanwhile.
#pragma once

#include <napi.h>

#include <memory>

#include "tessera/gemm.h"

namespace tessera_binding {

using MatrixPtr = std::shared_ptr<const tessera::PackedMatrix>;

Napi::Value wrap_matrix(Napi::Env env, MatrixPtr matrix);

// The matrix behind a handle made by wrap_matrix; throws naming `name` for anything else.
MatrixPtr unwrap_matrix(const Napi::Value& value, const char* name);

}  // namespace tessera_binding
