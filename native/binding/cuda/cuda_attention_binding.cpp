// attentionSync(args) and attentionAsync(args) -> Promise<void> on a CUDA device, through
// register_op (op_registry.h: Async keeps `args`, and with it every array and handle, alive).
// args: { q, k, v, out: device buffer handles or host Float32Arrays (all of one kind),
//         lse?: a handle or Float32Array of B * H * Nq fp32 (contiguous [B, H, Nq]),
//         keyLengths?: Int32Array [B], batch, seqQ, seqK, heads, headDim,
//         qStrides, kStrides, vStrides, outStrides: [4], scale, causal, device,
//         pattern?: a plan handle from uploadPattern, on `device`, for (seqQ, seqK, causal) }
// Handles: device tensors of one dtype on `device`, used in place; the dtype picks the kernel.
// With a pattern, cuda_pattern_attention runs under its plan, otherwise cuda_flash_attention.
// Host arrays: copied to the device (the span each view touches), computed with the fp32
// kernel, out and lse copied back. Every call runs on its own stream and waits for it.
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "args.h"
#include "buffer_handle.h"
#include "cuda_bindings.h"
#include "device_memory.h"
#include "op_registry.h"
#include "pattern_plan_handle.h"
#include "tessera/cuda_attention.h"
#include "tessera/cuda_pattern.h"

namespace tessera_binding {
namespace {

using tessera::CudaAttentionParams;
using tessera::DType;
using tessera::Status;

// One of q, k, v, out, lse: a device buffer, or host memory inside a JS array.
struct Operand {
  BufferPtr buffer;       // device mode
  float* host = nullptr;  // host mode
  int64_t span = 0;       // host mode: elements from the first one the view touches to the last
};

struct CudaAttentionCall {
  int device = 0;
  bool host = false;
  // Device mode: complete. Host mode: q, k, v, out, lse point at host memory (enough for the
  // support check) and run() swaps in device copies.
  CudaAttentionParams params;
  Operand q, k, v, out, lse;
  std::vector<int32_t> key_lengths;  // [B] or empty
  DevicePatternPtr pattern;          // null: dense attention

  Status run() const;
  // Sizes, dtype, grid limits and the plan's shape: reads no memory, so host pointers do.
  Status supported() const;

 private:
  // q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]; device pointers.
  Status launch(const CudaAttentionParams& p, cudaStream_t stream) const;
  // Enqueues everything on `stream`; temporaries land in `temps` and must outlive the stream's
  // work.
  Status enqueue(const Stream& stream, std::vector<BufferPtr>* temps) const;
};

Status temporary(int device, DType dtype, int64_t count, std::vector<BufferPtr>* temps) {
  temps->emplace_back();
  return DeviceBuffer::allocate(device, dtype, count, &temps->back());
}

// Copies a host operand's span to a new fp32 device buffer; `*device_data` points at it.
Status stage_input(const Operand& operand, int device, const Stream& stream,
                   std::vector<BufferPtr>* temps, void** device_data) {
  Status status = temporary(device, DType::kFloat32, operand.span, temps);
  if (!status.ok()) return status;
  *device_data = temps->back()->data();
  return copy_to_device(*device_data, operand.host, temps->back()->bytes(), stream);
}

Status CudaAttentionCall::enqueue(const Stream& stream, std::vector<BufferPtr>* temps) const {
  CudaAttentionParams p = params;
  Status status;
  if (!key_lengths.empty()) {
    void* lengths = nullptr;
    status = temporary(device, DType::kFloat32, p.batch, temps);  // int32: same size as fp32
    if (status.ok()) lengths = temps->back()->data();
    if (status.ok()) {
      status = copy_to_device(lengths, key_lengths.data(), key_lengths.size() * 4, stream);
    }
    p.key_lengths = static_cast<const int32_t*>(lengths);
  }
  if (host) {
    void *dq = nullptr, *dk = nullptr, *dv = nullptr, *dout = nullptr;
    if (status.ok()) status = stage_input(q, device, stream, temps, &dq);
    if (status.ok()) status = stage_input(k, device, stream, temps, &dk);
    if (status.ok()) status = stage_input(v, device, stream, temps, &dv);
    // out's span is uploaded too: the kernel writes only the view's elements, and whatever
    // lies between them in the caller's array must come back unchanged.
    if (status.ok()) status = stage_input(out, device, stream, temps, &dout);
    if (status.ok() && lse.host) status = temporary(device, DType::kFloat32, lse.span, temps);
    if (!status.ok()) return status;
    p.q = dq;
    p.k = dk;
    p.v = dv;
    p.out = dout;
    p.lse = lse.host ? static_cast<float*>(temps->back()->data()) : nullptr;
  }
  if (status.ok()) status = launch(p, stream.get());
  if (status.ok() && host) status = copy_to_host(out.host, p.out, out.span * 4, stream);
  if (status.ok() && host && lse.host) status = copy_to_host(lse.host, p.lse, lse.span * 4, stream);
  return status;
}

Status CudaAttentionCall::supported() const {
  return pattern ? tessera::cuda_pattern_attention_supported(params, pattern->plan)
                 : tessera::cuda_attention_supported(params);
}

Status CudaAttentionCall::launch(const CudaAttentionParams& p, cudaStream_t stream) const {
  return pattern ? tessera::cuda_pattern_attention(p, pattern->plan, stream)
                 : tessera::cuda_flash_attention(p, stream);
}

Status CudaAttentionCall::run() const {
  Status status = use_device(device);
  Stream stream;
  if (status.ok()) status = stream.create();
  if (!status.ok()) return status;
  std::vector<BufferPtr> temps;
  status = enqueue(stream, &temps);
  const Status synced = stream.synchronize();  // always: temps are freed after this
  return status.ok() ? synced : status;
}

// Elements from a view's first element to its last (check_extent has bounded it).
int64_t span_of(const std::vector<int64_t>& sizes, const tessera::Strides4& s) {
  return 1 + (sizes[0] - 1) * s.batch + (sizes[1] - 1) * s.seq + (sizes[2] - 1) * s.head +
         (sizes[3] - 1) * s.dim;
}

tessera::Strides4 strides_of(const Napi::Object& args, const char* key) {
  const std::vector<int64_t> s = require_int_array(args, key, 4);
  return {s[0], s[1], s[2], s[3]};
}

void check_view(const Napi::Object& args, const char* name, const std::vector<int64_t>& sizes,
                const tessera::Strides4& s, size_t length) {
  check_extent(args.Env(), name, sizes, {s.batch, s.seq, s.head, s.dim}, length);
}

// Host mode: q, k, v, out are Float32Arrays, lse a Float32Array or absent.
void unpack_host(const Napi::Object& args, CudaAttentionCall* call) {
  CudaAttentionParams& p = call->params;
  const std::vector<int64_t> q_sizes{p.batch, p.seq_q, p.heads, p.head_dim};
  const std::vector<int64_t> kv_sizes{p.batch, p.seq_k, p.heads, p.head_dim};
  struct View {
    const char* name;
    const std::vector<int64_t>& sizes;
    const tessera::Strides4& strides;
    Operand* operand;
  };
  for (const View& view :
       {View{"q", q_sizes, p.q_strides, &call->q}, View{"k", kv_sizes, p.k_strides, &call->k},
        View{"v", kv_sizes, p.v_strides, &call->v},
        View{"out", q_sizes, p.out_strides, &call->out}}) {
    const TypedView<float> array = require_float32(args, view.name);
    check_view(args, view.name, view.sizes, view.strides, array.length);
    *view.operand = Operand{nullptr, array.data, span_of(view.sizes, view.strides)};
  }
  const TypedView<float> lse = optional_float32(args, "lse");
  const int64_t rows = p.batch * p.heads * p.seq_q;
  if (lse.data && lse.length < static_cast<size_t>(rows)) {
    throw status_error(args.Env(), Status::Invalid("lse: expected B * H * Nq elements"));
  }
  call->lse = Operand{nullptr, lse.data, lse.data ? rows : 0};
  p.q = call->q.host;
  p.k = call->k.host;
  p.v = call->v.host;
  p.out = call->out.host;
  p.lse = call->lse.host;
}

// A handle's buffer, checked to be on `device` with `dtype` and to hold `count` elements.
BufferPtr device_operand(const Napi::Object& args, const char* name, int device, DType dtype) {
  BufferPtr buffer = unwrap_buffer(args.Get(name), name);
  if (buffer->device() != device || buffer->dtype() != dtype) {
    throw status_error(
        args.Env(),
        Status::Invalid(std::string(name) + ": expected a " + tessera::dtype_name(dtype) +
                        " buffer on device " + std::to_string(device) + ", received " +
                        tessera::dtype_name(buffer->dtype()) + " on device " +
                        std::to_string(buffer->device())));
  }
  return buffer;
}

// Device mode: q, k, v, out are handles of q's dtype on `device`, lse an fp32 handle or absent.
void unpack_device(const Napi::Object& args, CudaAttentionCall* call) {
  CudaAttentionParams& p = call->params;
  const std::vector<int64_t> q_sizes{p.batch, p.seq_q, p.heads, p.head_dim};
  const std::vector<int64_t> kv_sizes{p.batch, p.seq_k, p.heads, p.head_dim};
  p.dtype = unwrap_buffer(args.Get("q"), "q")->dtype();
  call->q.buffer = device_operand(args, "q", call->device, p.dtype);
  call->k.buffer = device_operand(args, "k", call->device, p.dtype);
  call->v.buffer = device_operand(args, "v", call->device, p.dtype);
  call->out.buffer = device_operand(args, "out", call->device, p.dtype);
  check_view(args, "q", q_sizes, p.q_strides, call->q.buffer->count());
  check_view(args, "k", kv_sizes, p.k_strides, call->k.buffer->count());
  check_view(args, "v", kv_sizes, p.v_strides, call->v.buffer->count());
  check_view(args, "out", q_sizes, p.out_strides, call->out.buffer->count());
  p.q = call->q.buffer->data();
  p.k = call->k.buffer->data();
  p.v = call->v.buffer->data();
  p.out = call->out.buffer->data();
  Napi::Value lse = args.Get("lse");
  if (lse.IsUndefined() || lse.IsNull()) return;
  call->lse.buffer = device_operand(args, "lse", call->device, DType::kFloat32);
  if (call->lse.buffer->count() < p.batch * p.heads * p.seq_q) {
    throw status_error(args.Env(), Status::Invalid("lse: expected B * H * Nq elements"));
  }
  p.lse = static_cast<float*>(call->lse.buffer->data());
}

std::vector<int32_t> unpack_key_lengths(const Napi::Object& args, int64_t batch) {
  const TypedView<int32_t> lengths = optional_int32(args, "keyLengths");
  if (lengths.data && lengths.length != static_cast<size_t>(batch)) {
    throw status_error(args.Env(), Status::Invalid("keyLengths: expected B elements"));
  }
  return std::vector<int32_t>(lengths.data, lengths.data + (lengths.data ? lengths.length : 0));
}

// args.pattern: a plan handle on `device`, or null / absent for dense attention.
DevicePatternPtr unpack_pattern(const Napi::Object& args, int device) {
  Napi::Value value = args.Get("pattern");
  if (value.IsUndefined() || value.IsNull()) return nullptr;
  DevicePatternPtr pattern = unwrap_device_pattern(value, "pattern");
  if (pattern->device != device) {
    throw status_error(
        args.Env(), Status::Invalid("pattern: expected a plan on device " + std::to_string(device) +
                                    ", received one on device " + std::to_string(pattern->device)));
  }
  return pattern;
}

CudaAttentionCall unpack(const Napi::Object& args) {
  CudaAttentionCall call;
  CudaAttentionParams& p = call.params;
  p.batch = require_int(args, "batch", 1);
  p.seq_q = require_int(args, "seqQ", 1);
  p.seq_k = require_int(args, "seqK", 1);
  p.heads = require_int(args, "heads", 1);
  p.head_dim = require_int(args, "headDim", 1);
  p.q_strides = strides_of(args, "qStrides");
  p.k_strides = strides_of(args, "kStrides");
  p.v_strides = strides_of(args, "vStrides");
  p.out_strides = strides_of(args, "outStrides");
  p.scale = static_cast<float>(require_number(args, "scale"));
  p.causal = optional_bool(args, "causal");
  call.device = require_device(args);
  call.key_lengths = unpack_key_lengths(args, p.batch);
  call.pattern = unpack_pattern(args, call.device);
  call.host = !is_buffer_handle(args.Get("q"));
  if (call.host) {
    unpack_host(args, &call);
  } else {
    unpack_device(args, &call);
  }
  const Status supported = call.supported();
  if (!supported.ok()) throw status_error(args.Env(), supported);
  return call;
}

// The op's unpacker for register_op.
OpCall unpack_op(const Napi::Object& args) {
  return [call = unpack(args)]() { return call.run(); };
}

}  // namespace

void register_cuda_attention(Napi::Env env, Napi::Object exports) {
  register_op(env, exports, "attention", unpack_op);
}

}  // namespace tessera_binding
