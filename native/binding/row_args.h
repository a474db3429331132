// Unpacking the arguments shared by the row-wise ops (layerNorm, gelu, softmax):
// { x, out: Float32Array, rows, cols, xRowStride, outRowStride, isa?, threads }, x and out
// [rows, cols] with contiguous columns.
#pragma once

#include <napi.h>

#include "args.h"
#include "tessera/run_options.h"

namespace tessera_binding {

// Fills p.x, p.out, p.rows, p.cols, p.x_row_stride and p.out_row_stride, checking that every
// row lies inside its buffer.
template <class Params>
void unpack_rows(const Napi::Object& args, Params* p) {
  p->rows = require_int(args, "rows", 1);
  p->cols = require_int(args, "cols", 1);
  p->x_row_stride = require_int(args, "xRowStride", 0);
  p->out_row_stride = require_int(args, "outRowStride", 0);
  const TypedView<float> x = require_float32(args, "x");
  const TypedView<float> out = require_float32(args, "out");
  check_extent(args.Env(), "x", {p->rows, p->cols}, {p->x_row_stride, 1}, x.length);
  check_extent(args.Env(), "out", {p->rows, p->cols}, {p->out_row_stride, 1}, out.length);
  p->x = x.data;
  p->out = out.data;
}

// { isa?: 'auto' | 'scalar' | 'avx2' | 'avx512', threads: integer >= 0 (0: the pool's default) }
inline tessera::RunOptions unpack_run_options(const Napi::Object& args) {
  tessera::RunOptions options;
  options.isa = optional_isa(args, "isa");
  options.max_threads = static_cast<int>(require_int(args, "threads", 0));
  return options;
}

}  // namespace tessera_binding
