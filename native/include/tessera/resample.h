// One pass of a separable 8-bit image resampling with fixed-point weights: the arithmetic of
// Pillow's Image.resize (libImaging/Resample.c) that lib/preprocess/resize.ts computes the
// weights for. Run once along the width, once along the height.
#pragma once

#include <cstdint>

#include "tessera/run_options.h"
#include "tessera/status.h"

namespace tessera {

// Fraction bits of the weights: a weight of 1.0 is 2^22.
constexpr int kResampleFractionBits = 22;

// src: [outer, in_size, inner] bytes -> out: [outer, out_size, inner] bytes, where
//   out[o][i][c] = clamp((2^21 + sum over t < taps[i] of
//                         src[o][first[i] + t][c] * weights[i * stride + t]) >> 22, 0, 255)
// (>> rounds toward -inf). The width pass of an [H, W, C] image is outer = H, inner = C; the
// height pass is outer = 1, inner = W * C.
struct ResampleParams {
  const uint8_t* src = nullptr;
  uint8_t* out = nullptr;  // must not overlap src
  int64_t outer = 0, in_size = 0, out_size = 0, inner = 0;
  const int32_t* first = nullptr;    // [out_size]: first input index of each output index
  const int32_t* taps = nullptr;     // [out_size]: how many inputs it reads (<= stride)
  const int32_t* weights = nullptr;  // [out_size, stride]
  int64_t stride = 0;
};

// Checks pointers, sizes, that every output index reads inside [0, in_size), and that its
// weights cannot overflow the 32-bit sums (sum of |weight| * 255 + 2^21 < 2^31).
Status check_resample_params(const ResampleParams& p);

// Checks the parameters; on success resamples on up to opts.max_threads threads. One portable
// kernel for every CPU (opts.isa is not consulted): the compiler vectorizes its inner loop.
Status resample_axis(const ResampleParams& p, const RunOptions& opts);

}  // namespace tessera
