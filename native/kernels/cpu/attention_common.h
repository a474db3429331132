// Small pieces shared by the scalar and SIMD attention kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "tessera/attention.h"

namespace tessera {
namespace attention_detail {

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Keys j < key_limit(p, b) pass the key-length mask of batch b.
inline int64_t key_limit(const AttentionParams& p, int64_t b) {
  return p.key_lengths ? std::min<int64_t>(p.seq_k, p.key_lengths[b]) : p.seq_k;
}

// Keys j < key_end(p, b, i) are allowed for query row i (causal: j <= i).
inline int64_t key_end(const AttentionParams& p, int64_t b, int64_t i) {
  int64_t end = key_limit(p, b);
  return p.causal ? std::min(end, i + 1) : end;
}

inline const float* row_ptr(const float* base, const Strides4& s, int64_t b, int64_t n, int64_t h) {
  return base + b * s.batch + n * s.seq + h * s.head;
}

inline float* row_ptr(float* base, const Strides4& s, int64_t b, int64_t n, int64_t h) {
  return base + b * s.batch + n * s.seq + h * s.head;
}

// Natural-log log-sum-exp from the running max m (log2 units) and the denominator l.
inline float lse_from(float m_log2, float l) {
  return l > 0.0f ? m_log2 * kLn2 + std::log(l) : kNegInf;
}

inline float* lse_ptr(const AttentionParams& p, int64_t b, int64_t h) {
  return p.lse ? p.lse + (b * p.heads + h) * p.seq_q : nullptr;
}

}  // namespace attention_detail
}  // namespace tessera
