// Device tensors' memory, synchronous calls on the main thread:
//   upload({ data: Float32Array, dtype, device }) -> handle   (fp32 values converted to dtype)
//   allocate({ count, dtype, device }) -> handle              (uninitialised)
//   download({ handle, out: Float32Array })                   (converted back to fp32)
//   release(handle)                                           (frees once no call uses it)
// dtype: 'float32' | 'float16' | 'bfloat16'; device: a CUDA device index.
#include <napi.h>

#include <string>
#include <vector>

#include "args.h"
#include "buffer_handle.h"
#include "cuda_bindings.h"

namespace tessera_binding {
namespace {

using tessera::DType;
using tessera::Status;

const napi_type_tag kBufferTag = {0x3c5a9e0d7b214f68ULL, 0xa1d4c0ffee5eed01ULL};

// What a handle owns: empty once released.
struct BufferSlot {
  BufferPtr buffer;
};

DType require_dtype(const Napi::Object& args) {
  const std::string name = optional_string(args, "dtype", "");
  if (name == "float32") return DType::kFloat32;
  if (name == "float16") return DType::kFloat16;
  if (name == "bfloat16") return DType::kBFloat16;
  throw status_error(args.Env(), Status::Invalid("dtype: expected 'float32', 'float16' or "
                                                 "'bfloat16', received '" +
                                                 name + "'"));
}

BufferPtr allocate_on(Napi::Env env, int device, DType dtype, int64_t count) {
  BufferPtr buffer;
  throw_if_failed(env, use_device(device));
  throw_if_failed(env, DeviceBuffer::allocate(device, dtype, count, &buffer));
  return buffer;
}

// values: [count] fp32 on the host -> the buffer, converted to its dtype.
Status upload_values(const DeviceBuffer& buffer, const float* values) {
  Stream stream;
  Status status = stream.create();
  if (!status.ok()) return status;
  if (buffer.dtype() == DType::kFloat32) {
    status = copy_to_device(buffer.data(), values, buffer.bytes(), stream);
    return status.ok() ? stream.synchronize() : status;
  }
  std::vector<uint8_t> staged(buffer.bytes());
  encode_values(values, buffer.count(), buffer.dtype(), staged.data());
  status = copy_to_device(buffer.data(), staged.data(), staged.size(), stream);
  return status.ok() ? stream.synchronize() : status;  // `staged` must outlive the copy
}

// The buffer -> values: [count] fp32 on the host.
Status download_values(const DeviceBuffer& buffer, float* values) {
  Stream stream;
  Status status = use_device(buffer.device());
  if (status.ok()) status = stream.create();
  if (!status.ok()) return status;
  if (buffer.dtype() == DType::kFloat32) {
    status = copy_to_host(values, buffer.data(), buffer.bytes(), stream);
    return status.ok() ? stream.synchronize() : status;
  }
  std::vector<uint8_t> staged(buffer.bytes());
  status = copy_to_host(staged.data(), buffer.data(), staged.size(), stream);
  if (status.ok()) status = stream.synchronize();
  if (status.ok()) decode_values(staged.data(), buffer.count(), buffer.dtype(), values);
  return status;
}

Napi::Value upload(const Napi::CallbackInfo& info) {
  Napi::Object args = require_object(info[0], "args");
  const TypedView<float> data = require_float32(args, "data");
  const DType dtype = require_dtype(args);
  const int device = require_device(args);
  BufferPtr buffer = allocate_on(info.Env(), device, dtype, static_cast<int64_t>(data.length));
  throw_if_failed(info.Env(), upload_values(*buffer, data.data));
  return wrap_buffer(info.Env(), std::move(buffer));
}

Napi::Value allocate(const Napi::CallbackInfo& info) {
  Napi::Object args = require_object(info[0], "args");
  const int64_t count = require_int(args, "count", 0);
  const DType dtype = require_dtype(args);
  const int device = require_device(args);
  return wrap_buffer(info.Env(), allocate_on(info.Env(), device, dtype, count));
}

Napi::Value download(const Napi::CallbackInfo& info) {
  Napi::Object args = require_object(info[0], "args");
  BufferPtr buffer = unwrap_buffer(args.Get("handle"), "handle");
  const TypedView<float> out = require_float32(args, "out");
  if (out.length != static_cast<size_t>(buffer->count())) {
    throw status_error(info.Env(),
                       Status::Invalid("out: expected " + std::to_string(buffer->count()) +
                                       " elements, received " + std::to_string(out.length)));
  }
  throw_if_failed(info.Env(), download_values(*buffer, out.data));
  return info.Env().Undefined();
}

Napi::Value release(const Napi::CallbackInfo& info) {
  release_buffer(info[0], "handle");
  return info.Env().Undefined();
}

BufferSlot* slot_of(const Napi::Value& value) {
  if (!value.IsExternal()) return nullptr;
  auto external = value.As<Napi::External<BufferSlot>>();
  return external.CheckTypeTag(&kBufferTag) ? external.Data() : nullptr;
}

BufferSlot* require_slot(const Napi::Value& value, const char* name) {
  BufferSlot* slot = slot_of(value);
  if (!slot) {
    throw status_error(value.Env(),
                       Status::Invalid(std::string(name) + ": expected a device buffer handle"));
  }
  return slot;
}

}  // namespace

void throw_if_failed(Napi::Env env, const Status& status) {
  if (!status.ok()) throw status_error(env, status);
}

int require_device(const Napi::Object& args) {
  constexpr int64_t kMaxDevice = 1 << 16;
  const int64_t device = require_int(args, "device", 0);
  if (device >= kMaxDevice) throw status_error(args.Env(), Status::Invalid("device: out of range"));
  return static_cast<int>(device);
}

Napi::Value wrap_buffer(Napi::Env env, BufferPtr buffer) {
  auto* slot = new BufferSlot{std::move(buffer)};
  auto handle =
      Napi::External<BufferSlot>::New(env, slot, [](Napi::Env, BufferSlot* s) { delete s; });
  handle.TypeTag(&kBufferTag);
  return handle;
}

BufferPtr unwrap_buffer(const Napi::Value& value, const char* name) {
  BufferSlot* slot = require_slot(value, name);
  if (!slot->buffer) {
    throw status_error(value.Env(),
                       Status::Invalid(std::string(name) + ": the DeviceTensor was disposed"));
  }
  return slot->buffer;
}

bool is_buffer_handle(const Napi::Value& value) { return slot_of(value) != nullptr; }

void release_buffer(const Napi::Value& value, const char* name) {
  require_slot(value, name)->buffer.reset();
}

void register_buffers(Napi::Env env, Napi::Object exports) {
  exports.Set("upload", Napi::Function::New(env, upload, "upload"));
  exports.Set("allocate", Napi::Function::New(env, allocate, "allocate"));
  exports.Set("download", Napi::Function::New(env, download, "download"));
  exports.Set("release", Napi::Function::New(env, release, "release"));
}

}  // namespace tessera_binding
