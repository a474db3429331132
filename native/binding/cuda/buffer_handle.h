// The JS handle of a device buffer: a type-tagged External holding a reference to the buffer.
// release() drops that reference at once (DeviceTensor.dispose()); the memory is freed when the
// last holder lets go, so an asynchronous call that still uses the buffer keeps it alive.
// The External's finalizer drops the reference when the handle is garbage-collected.
#pragma once

#include <napi.h>

#include "device_memory.h"

namespace tessera_binding {

Napi::Value wrap_buffer(Napi::Env env, BufferPtr buffer);

// The buffer behind a handle made by wrap_buffer; throws naming `name` when the value is not
// such a handle or was released.
BufferPtr unwrap_buffer(const Napi::Value& value, const char* name);

// Whether `value` is a handle made by wrap_buffer (released or not).
bool is_buffer_handle(const Napi::Value& value);

// Drops the handle's reference (a no-op when already released).
void release_buffer(const Napi::Value& value, const char* name);

}  // namespace tessera_binding
