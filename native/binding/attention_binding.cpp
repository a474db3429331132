// attentionSync(args) and attentionAsync(args) -> Promise<void> (see op_registry.h).
// args: { q, k, v, out: Float32Array, lse?: Float32Array, keyLengths?: Int32Array,
//         batch, seqQ, seqK, heads, headDim, qStrides, kStrides, vStrides, outStrides: [4],
//         scale, causal, isa: 'auto' | 'scalar' | 'avx2' | 'avx512', threads,
//         pattern?: a compiled pattern handle (then causal must match its compilation) }
// The TypeScript layer validates first with friendlier messages; these checks are the
// safety net that keeps a direct caller from reading or writing out of bounds.
#include <napi.h>

#include <vector>

#include "args.h"
#include "bindings.h"
#include "op_registry.h"
#include "pattern_handle.h"
#include "tessera/attention.h"
#include "tessera/pattern.h"

namespace tessera_binding {
namespace {

tessera::Strides4 to_strides(const std::vector<int64_t>& s) { return {s[0], s[1], s[2], s[3]}; }

// Checks one [B, N, H, D] operand against its buffer and returns its strides.
tessera::Strides4 operand(const Napi::Object& args, const char* name, const char* strides_key,
                          const std::vector<int64_t>& sizes, size_t length) {
  std::vector<int64_t> strides = require_int_array(args, strides_key, 4);
  check_extent(args.Env(), name, sizes, strides, length);
  return to_strides(strides);
}

struct AttentionCall {
  tessera::AttentionParams params;
  tessera::RunOptions options;
  PlanPtr plan;  // null: dense attention

  tessera::Status run() const {
    return plan ? tessera::pattern_attention(params, *plan, options)
                : tessera::flash_attention(params, options);
  }
};

AttentionCall unpack(const Napi::Object& args) {
  AttentionCall call;
  tessera::AttentionParams& p = call.params;
  p.batch = require_int(args, "batch", 1);
  p.seq_q = require_int(args, "seqQ", 1);
  p.seq_k = require_int(args, "seqK", 1);
  p.heads = require_int(args, "heads", 1);
  p.head_dim = require_int(args, "headDim", 1);
  const TypedView<float> q = require_float32(args, "q");
  const TypedView<float> k = require_float32(args, "k");
  const TypedView<float> v = require_float32(args, "v");
  const TypedView<float> out = require_float32(args, "out");
  const std::vector<int64_t> q_sizes{p.batch, p.seq_q, p.heads, p.head_dim};
  const std::vector<int64_t> kv_sizes{p.batch, p.seq_k, p.heads, p.head_dim};
  p.q_strides = operand(args, "q", "qStrides", q_sizes, q.length);
  p.k_strides = operand(args, "k", "kStrides", kv_sizes, k.length);
  p.v_strides = operand(args, "v", "vStrides", kv_sizes, v.length);
  p.out_strides = operand(args, "out", "outStrides", q_sizes, out.length);
  p.q = q.data;
  p.k = k.data;
  p.v = v.data;
  p.out = out.data;

  const TypedView<float> lse = optional_float32(args, "lse");
  if (lse.data && lse.length < static_cast<size_t>(p.batch * p.heads * p.seq_q)) {
    throw status_error(args.Env(), tessera::Status::Invalid("lse: expected B * H * Nq elements"));
  }
  p.lse = lse.data;
  const TypedView<int32_t> key_lengths = optional_int32(args, "keyLengths");
  if (key_lengths.data && key_lengths.length != static_cast<size_t>(p.batch)) {
    throw status_error(args.Env(), tessera::Status::Invalid("keyLengths: expected B elements"));
  }
  p.key_lengths = key_lengths.data;
  p.scale = static_cast<float>(require_number(args, "scale"));
  p.causal = optional_bool(args, "causal");
  call.options.isa = optional_isa(args, "isa");
  call.options.max_threads = static_cast<int>(require_int(args, "threads", 0));
  Napi::Value pattern = args.Get("pattern");
  if (!pattern.IsUndefined() && !pattern.IsNull()) call.plan = unwrap_plan(pattern, "pattern");
  return call;
}

// The op's unpacker for register_op.
OpCall unpack_op(const Napi::Object& args) {
  return [call = unpack(args)]() { return call.run(); };
}

}  // namespace

void register_attention(Napi::Env env, Napi::Object exports) {
  register_op(env, exports, "attention", unpack_op);
}

}  // namespace tessera_binding
