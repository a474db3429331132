// resample_axis(): one fixed-point resampling pass of 8-bit images (see tessera/resample.h).
#include "tessera/resample.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "common/row_blocks.h"

namespace tessera {
namespace {

// Columns of one output row summed at a time, in 32-bit accumulators on the stack.
constexpr int64_t kChunk = 1024;
constexpr int32_t kHalf = int32_t{1} << (kResampleFractionBits - 1);
// Largest sum of |weight| over one output index whose sums fit in an int32.
constexpr int64_t kMaxWeightSum = (int64_t{0x7fffffff} - kHalf) / 255;

uint8_t to_byte(int32_t sum) {
  return static_cast<uint8_t>(std::clamp(sum >> kResampleFractionBits, 0, 255));
}

Status check_output_index(const ResampleParams& p, int64_t i) {
  const int64_t first = p.first[i], taps = p.taps[i];
  const std::string where = "resample: output index " + std::to_string(i);
  if (taps < 0 || taps > p.stride) {
    return Status::Invalid(where + " has " + std::to_string(taps) + " taps, expected 0 to " +
                           std::to_string(p.stride) + " (stride)");
  }
  if (first < 0 || first + taps > p.in_size) {
    return Status::Invalid(where + " reads inputs " + std::to_string(first) + " to " +
                           std::to_string(first + taps - 1) + ", outside 0 to " +
                           std::to_string(p.in_size - 1));
  }
  int64_t total = 0;
  for (int64_t t = 0; t < taps; t++) total += std::llabs(p.weights[i * p.stride + t]);
  if (total > kMaxWeightSum) {
    return Status::Invalid(where + ": the magnitudes of its weights sum to " +
                           std::to_string(total) + ", more than " + std::to_string(kMaxWeightSum) +
                           " (32-bit sums would overflow)");
  }
  return Status::Ok();
}

// Columns [c0, c0 + n) (n <= kChunk) of output row i of image o. With kColumns > 0 the row is
// n = inner = kColumns columns known to the compiler (the width pass of a 1-, 3- or 4-channel
// image: one pixel), so that its sums stay in registers.
template <int kColumns = 0>
void resample_columns(const ResampleParams& p, int64_t o, int64_t i, int64_t c0, int64_t n) {
  const int64_t count = kColumns > 0 ? kColumns : n;
  const int64_t inner = kColumns > 0 ? kColumns : p.inner;
  int32_t acc[kColumns > 0 ? kColumns : kChunk];
  std::fill(acc, acc + count, kHalf);
  const int32_t* w = p.weights + i * p.stride;
  const uint8_t* rows = p.src + (o * p.in_size + p.first[i]) * inner + c0;
  for (int64_t t = 0; t < p.taps[i]; t++) {
    const uint8_t* row = rows + t * inner;
    for (int64_t c = 0; c < count; c++) acc[c] += row[c] * w[t];
  }
  uint8_t* out = p.out + (o * p.out_size + i) * inner + c0;
  for (int64_t c = 0; c < count; c++) out[c] = to_byte(acc[c]);
}

// Output row r (image r / out_size, index r % out_size).
void resample_row(const ResampleParams& p, int64_t r) {
  const int64_t o = r / p.out_size, i = r % p.out_size;
  switch (p.inner) {
    case 1:
      return resample_columns<1>(p, o, i, 0, 1);
    case 3:
      return resample_columns<3>(p, o, i, 0, 3);
    case 4:
      return resample_columns<4>(p, o, i, 0, 4);
    default:
      for (int64_t c0 = 0; c0 < p.inner; c0 += kChunk) {
        resample_columns(p, o, i, c0, std::min(kChunk, p.inner - c0));
      }
  }
}

}  // namespace

Status check_resample_params(const ResampleParams& p) {
  if (!p.src || !p.out || !p.first || !p.taps || !p.weights) {
    return Status::Invalid("resample: null buffer");
  }
  if (p.outer < 1 || p.in_size < 1 || p.out_size < 1 || p.inner < 1 || p.stride < 1) {
    return Status::Invalid("resample: outer, in_size, out_size, inner and stride must be >= 1");
  }
  for (int64_t i = 0; i < p.out_size; i++) {
    const Status status = check_output_index(p, i);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

// src: [outer, in_size, inner] -> out: [outer, out_size, inner]
Status resample_axis(const ResampleParams& p, const RunOptions& opts) {
  const Status status = check_resample_params(p);
  if (!status.ok()) return status;
  const int64_t row_work = p.inner * p.stride;
  for_each_row_block(p.outer * p.out_size, row_work, opts.max_threads, [&](int64_t a, int64_t b) {
    for (int64_t r = a; r < b; r++) resample_row(p, r);
  });
  return Status::Ok();
}

}  // namespace tessera
