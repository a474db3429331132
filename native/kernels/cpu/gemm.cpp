// linear(): checks the parameters, then runs the kernel chosen for the ISA.
#include "tessera/gemm.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "cpu/gemm_isa.h"

namespace tessera {
namespace {

// The element range [begin, end) that a [rows, cols] view with row stride `stride` spans.
struct Span {
  uintptr_t begin = 0, end = 0;
};

// False when the span's size overflows.
bool span_of(const float* base, int64_t rows, int64_t cols, int64_t stride, Span* span) {
  uint64_t last = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(rows - 1), static_cast<uint64_t>(stride),
                             &last) ||
      __builtin_add_overflow(last, static_cast<uint64_t>(cols), &last) ||
      __builtin_mul_overflow(last, sizeof(float), &last)) {
    return false;
  }
  span->begin = reinterpret_cast<uintptr_t>(base);
  span->end = span->begin + last;
  return span->end >= span->begin;
}

bool overlap(const Span& x, const Span& y) { return x.begin < y.end && y.begin < x.end; }

Status check_sizes(const LinearParams& p) {
  if (!p.a || !p.b || !p.out) return Status::Invalid("args: missing a, b or out");
  if (p.m < 1) return Status::Invalid("a: expected M >= 1, received " + std::to_string(p.m));
  if (p.k != p.b->k()) {
    return Status::Invalid("a: expected [M, K] with K = " + std::to_string(p.b->k()) +
                           " (the weight's K), received K = " + std::to_string(p.k));
  }
  if (p.a_row_stride < 0 || p.residual_row_stride < 0) {
    return Status::Invalid("args: row strides must be >= 0");
  }
  if (p.m > 1 && p.out_row_stride < p.b->n()) {
    return Status::Invalid("out: expected a row stride >= N = " + std::to_string(p.b->n()) +
                           ", received " + std::to_string(p.out_row_stride));
  }
  return Status::Ok();
}

// out must not overlap a or bias, and either is residual (same rows) or does not overlap it.
Status check_overlaps(const LinearParams& p) {
  const int64_t n = p.b->n();
  Span a, out, residual, bias;
  if (!span_of(p.a, p.m, p.k, p.a_row_stride, &a) ||
      !span_of(p.out, p.m, n, p.out_row_stride, &out) ||
      (p.residual && !span_of(p.residual, p.m, n, p.residual_row_stride, &residual)) ||
      (p.bias && !span_of(p.bias, 1, n, 0, &bias))) {
    return Status::Invalid("args: strides overflow");
  }
  if (overlap(out, a)) return Status::Invalid("out: expected memory that does not overlap a");
  if (p.bias && overlap(out, bias)) {
    return Status::Invalid("out: expected memory that does not overlap bias");
  }
  const bool in_place = p.residual == p.out && p.residual_row_stride == p.out_row_stride;
  if (p.residual && !in_place && overlap(out, residual)) {
    return Status::Invalid("residual: expected out itself or memory that does not overlap out");
  }
  return Status::Ok();
}

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

}  // namespace

Status check_linear_params(const LinearParams& p) {
  Status status = check_sizes(p);
  return status.ok() ? check_overlaps(p) : status;
}

ScratchBuffer gemm_scratch(GemmScratch slot, size_t floats) {
  thread_local std::unique_ptr<float, AlignedFree> buffers[2];
  thread_local size_t capacity[2] = {0, 0};
  thread_local uint64_t tags[2] = {0, 0};
  const int i = static_cast<int>(slot);
  if (floats > capacity[i]) {
    const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    buffers[i].reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    capacity[i] = buffers[i] ? floats : 0;
    tags[i] = 0;
  }
  return {buffers[i].get(), &tags[i]};
}

uint64_t reserve_gemm_tags(int64_t count) {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(static_cast<uint64_t>(count));
}

Status linear(const LinearParams& p, const RunOptions& opts) {
  Isa isa = Isa::kScalar;
  Status status = check_linear_params(p);
  if (status.ok()) status = choose_isa(opts, &isa);
  if (!status.ok()) return status;
  switch (isa) {
#if defined(TESSERA_X86)
    case Isa::kAvx512:
      return linear_avx512(p, opts.max_threads);
    case Isa::kAvx2:
      return linear_avx2(p, opts.max_threads);
#endif
    default:
      return linear_reference(p);
  }
}

}  // namespace tessera
