// packMatrix({ weight: Float32Array, k, n, strideK, strideN }) -> handle: packs B[k, j] =
// weight[k * strideK + j * strideN] once (PyTorch [N, K]: strideK 1, strideN K; ONNX [K, N]:
// strideK N, strideN 1).
// packMatrixAsync(args) -> Promise<handle>: the same off the event loop.
// releaseMatrix(handle): frees the packed copy now (once no running call uses it); a no-op when
// repeated; calls given the handle afterwards fail.
// linearSync(args) and linearAsync(args) -> Promise<void> (see op_registry.h), out = act(alpha a b
// + bias) + residual:
// args: { a: Float32Array, m, k, aRowStride, weight: handle, alpha?, bias?: Float32Array [N],
//         activation: 'none' | 'gelu' | 'gelu_tanh', residual?: Float32Array, residualRowStride,
//         out: Float32Array, outRowStride, isa: 'auto' | 'scalar' | 'avx2' | 'avx512', threads }
// The TypeScript layer validates first with friendlier messages; these checks are the safety
// net that keeps a direct caller from reading or writing out of bounds.
#include <napi.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "args.h"
#include "bindings.h"
#include "op_registry.h"
#include "packed_matrix_handle.h"
#include "tessera/gemm.h"

namespace tessera_binding {
namespace {

const napi_type_tag kMatrixTag = {0x3d1f0a9b6c2e4f71ULL, 0xa5c38e0d7b194f26ULL};

// The handle owns a heap shared_ptr (empty once released); V8 is told about the packed bytes so
// that it collects unused weights in time.
struct MatrixBox {
  MatrixPtr matrix;
  int64_t bytes = 0;
};

tessera::Activation parse_activation(Napi::Env env, const std::string& name) {
  if (name == "none") return tessera::Activation::kNone;
  if (name == "gelu") return tessera::Activation::kGeluErf;
  if (name == "gelu_tanh") return tessera::Activation::kGeluTanh;
  throw status_error(
      env, tessera::Status::Invalid(
               "activation: expected 'none', 'gelu' or 'gelu_tanh', received '" + name + "'"));
}

// args.alpha: 1 when absent, else a number that is a finite float32.
float parse_alpha(const Napi::Object& args) {
  if (args.Get("alpha").IsUndefined()) return 1.0f;
  const double alpha = require_number(args, "alpha");
  if (!(std::fabs(alpha) <= std::numeric_limits<float>::max())) {
    throw status_error(args.Env(),
                       tessera::Status::Invalid("alpha: expected a finite float32 number"));
  }
  return static_cast<float>(alpha);
}

// A [rows, cols] operand with unit column stride: checks it lies inside its buffer.
void check_rows(Napi::Env env, const char* name, const TypedView<float>& view, int64_t rows,
                int64_t cols, int64_t row_stride) {
  check_extent(env, name, {rows, cols}, {row_stride, 1}, view.length);
}

// packMatrix's arguments: weight [k, n] with element strides (strideK, strideN).
struct PackArgs {
  const float* weight = nullptr;
  int64_t k = 0, n = 0, stride_k = 0, stride_n = 0;
};

PackArgs unpack_pack(const Napi::Value& value) {
  Napi::Object args = require_object(value, "args");
  const TypedView<float> weight = require_float32(args, "weight");
  PackArgs a;
  a.weight = weight.data;
  a.k = require_int(args, "k", 1);
  a.n = require_int(args, "n", 1);
  a.stride_k = require_int(args, "strideK", 0);
  a.stride_n = require_int(args, "strideN", 0);
  check_extent(value.Env(), "weight", {a.k, a.n}, {a.stride_k, a.stride_n}, weight.length);
  return a;
}

tessera::Status pack(const PackArgs& a, tessera::PackedMatrix* out) {
  return tessera::pack_matrix(a.weight, a.k, a.n, a.stride_k, a.stride_n, out);
}

Napi::Value pack_matrix(const Napi::CallbackInfo& info) {
  const PackArgs a = unpack_pack(info[0]);
  std::shared_ptr<tessera::PackedMatrix> matrix;
  const tessera::Status status = run_guarded([&] {
    matrix = std::make_shared<tessera::PackedMatrix>();
    return pack(a, matrix.get());
  });
  if (!status.ok()) throw status_error(info.Env(), status);
  return wrap_matrix(info.Env(), std::move(matrix));
}

// packMatrixAsync: packs on a libuv worker (the shared pool does the work) and resolves to the
// handle; the arguments (and so the weight array) stay referenced until then.
class PackWorker : public Napi::AsyncWorker {
 public:
  PackWorker(Napi::Env env, const Napi::Object& args, PackArgs a)
      : Napi::AsyncWorker(env, "tessera.packMatrix"),
        deferred_(Napi::Promise::Deferred::New(env)),
        keep_(Napi::Persistent(args)),
        args_(a) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    status_ = run_guarded([this] {
      matrix_ = std::make_shared<tessera::PackedMatrix>();
      return pack(args_, matrix_.get());
    });
  }

  void OnOK() override {
    if (status_.ok()) {
      deferred_.Resolve(wrap_matrix(Env(), std::move(matrix_)));
    } else {
      deferred_.Reject(status_error(Env(), status_).Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  PackArgs args_;
  std::shared_ptr<tessera::PackedMatrix> matrix_;
  tessera::Status status_;
};

Napi::Value pack_matrix_async(const Napi::CallbackInfo& info) {
  const PackArgs a = unpack_pack(info[0]);
  auto* worker = new PackWorker(info.Env(), info[0].As<Napi::Object>(), a);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

struct LinearCall {
  tessera::LinearParams params;
  tessera::RunOptions options;
  MatrixPtr matrix;  // keeps the weights alive while the call runs
};

LinearCall unpack(const Napi::Object& args) {
  Napi::Env env = args.Env();
  LinearCall call;
  tessera::LinearParams& p = call.params;
  call.matrix = unwrap_matrix(args.Get("weight"), "weight");
  p.b = call.matrix.get();
  const int64_t n = p.b->n();
  p.m = require_int(args, "m", 1);
  p.k = require_int(args, "k", 1);
  p.a_row_stride = require_int(args, "aRowStride", 0);
  p.out_row_stride = require_int(args, "outRowStride", 0);
  const TypedView<float> a = require_float32(args, "a");
  const TypedView<float> out = require_float32(args, "out");
  check_rows(env, "a", a, p.m, p.k, p.a_row_stride);
  check_rows(env, "out", out, p.m, n, p.out_row_stride);
  p.a = a.data;
  p.out = out.data;

  const TypedView<float> bias = optional_float32(args, "bias");
  if (bias.data && bias.length < static_cast<size_t>(n)) {
    throw status_error(
        env, tessera::Status::Invalid("bias: expected N = " + std::to_string(n) +
                                      " elements, received " + std::to_string(bias.length)));
  }
  p.bias = bias.data;
  p.alpha = parse_alpha(args);
  const TypedView<float> residual = optional_float32(args, "residual");
  if (residual.data) {
    p.residual_row_stride = require_int(args, "residualRowStride", 0);
    check_rows(env, "residual", residual, p.m, n, p.residual_row_stride);
    p.residual = residual.data;
  }
  p.activation = parse_activation(env, optional_string(args, "activation", "none"));
  call.options.isa = optional_isa(args, "isa");
  call.options.max_threads = static_cast<int>(require_int(args, "threads", 0));
  // Sizes, strides and overlaps now, so that a bad call fails before anything runs.
  tessera::Status status = tessera::check_linear_params(p);
  if (!status.ok()) throw status_error(env, status);
  return call;
}

// The op's unpacker for register_op.
OpCall unpack_op(const Napi::Object& args) {
  return [call = unpack(args)]() { return tessera::linear(call.params, call.options); };
}

}  // namespace

Napi::Value wrap_matrix(Napi::Env env, MatrixPtr matrix) {
  const int64_t bytes = matrix->panels() * matrix->k() * tessera::PackedMatrix::kPanelWidth * 4;
  auto* box = new MatrixBox{std::move(matrix), bytes};
  Napi::External<MatrixBox> handle =
      Napi::External<MatrixBox>::New(env, box, [](Napi::Env env, MatrixBox* b) {
        Napi::MemoryManagement::AdjustExternalMemory(env, -b->bytes);
        delete b;
      });
  handle.TypeTag(&kMatrixTag);
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  return handle;
}

namespace {

MatrixBox* require_box(const Napi::Value& value, const char* name) {
  if (!value.IsExternal() || !value.As<Napi::External<MatrixBox>>().CheckTypeTag(&kMatrixTag)) {
    throw status_error(value.Env(),
                       tessera::Status::Invalid(std::string(name) +
                                                ": expected a packed weight (from packMatrix)"));
  }
  return value.As<Napi::External<MatrixBox>>().Data();
}

Napi::Value release_matrix(const Napi::CallbackInfo& info) {
  MatrixBox* box = require_box(info[0], "handle");
  if (box->matrix) {
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -box->bytes);
    box->matrix.reset();
    box->bytes = 0;
  }
  return info.Env().Undefined();
}

}  // namespace

MatrixPtr unwrap_matrix(const Napi::Value& value, const char* name) {
  const MatrixBox* box = require_box(value, name);
  if (!box->matrix) {
    throw status_error(value.Env(),
                       tessera::Status::Invalid(std::string(name) +
                                                ": the packed weight was released (dispose())"));
  }
  return box->matrix;
}

void register_linear(Napi::Env env, Napi::Object exports) {
  exports.Set("packMatrix", Napi::Function::New(env, pack_matrix, "packMatrix"));
  exports.Set("packMatrixAsync", Napi::Function::New(env, pack_matrix_async, "packMatrixAsync"));
  exports.Set("releaseMatrix", Napi::Function::New(env, release_matrix, "releaseMatrix"));
  register_op(env, exports, "linear", unpack_op);
}

}  // namespace tessera_binding
