// The packed, cache-blocked fp32 GEMM behind linear(), written once over a SIMD traits type S
// (Avx512 or Avx2) and a blocking B (see Blocking below), instantiated in a file compiled for
// that ISA. The classic GotoBLAS / BLIS structure:
//
//   task (parallel_for over M blocks x N blocks, several per worker, handed out dynamically)
//     for each K block of kKc                          (partial sums kept per task when K > kKc)
//       pack the task's rows of A for this K block     (per-thread buffer, rows kLda apart,
//                                                       kept for the worker's next task)
//       for each micro-panel of <= kMr rows            (kMr x kKc floats: stays in L1)
//         for each kNr-column tile of the task         (B micro-panel kKc x kNr streams from L2)
//           register-blocked microkernel: kMr x kNv vectors of accumulators; per k, kNv vector
//           loads of B, kMr broadcasts of A, kMr * kNv FMAs
//           last K block: fused epilogue (bias, activation, residual) and the store to out
//
// Packed A is a row-major copy with the compile-time row stride kLda (a vectorised copy; each
// broadcast then addresses row i at a constant offset i * kLda from one pointer). A worker keeps
// the packed rows of its M block for every K block and reuses them when its next task has the
// same rows, so cutting N into more tasks than workers (which evens out late-waking workers and
// unequal cores) does not multiply the packing. Rows are split into micro-panels as evenly as
// possible (197 rows with kMr = 14: 2 panels of 14 and 13 of 13) so no short panel wastes a
// pass over B. Columns past N are zeros in packed B, so tiles compute whole vectors and only the
// epilogue treats the last partial vector (with scalar lanes).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "common/gelu_math.h"
#include "cpu/gemm_isa.h"
#include "cpu/simd_scalar.h"
#include "tessera/gemm.h"
#include "tessera/thread_pool.h"

namespace tessera {
namespace gemm_simd {

// One ISA's compile-time blocking (values chosen by measurement in gemm_<isa>.cpp):
//   Mr x Nv vectors  the register block: rows of A x vectors of columns of B
//   Kc               the K block: an A micro-panel (Mr x Kc) stays in L1
//   Nc               at most this many columns per task: the B block Kc x Nc stays in L2
//   Mc               at most this many rows per task: the packed A block Mc x Kc
template <class S, int Mr, int Nv, int64_t Kc, int64_t Nc, int64_t Mc>
struct Blocking {
  using V = typename S::V;
  static constexpr int W = S::W;
  static constexpr int kMr = Mr;
  static constexpr int kNv = Nv;
  static constexpr int64_t kNr = Nv * W;
  static constexpr int64_t kKc = Kc;
  static constexpr int64_t kNc = Nc;
  static constexpr int64_t kMc = Mc;
  // Row stride of packed A: one extra line per row keeps the rows of a micro-panel in different
  // L1 sets.
  static constexpr int64_t kLda = Kc + 16;
  static_assert(kNr % PackedMatrix::kPanelWidth == 0 || PackedMatrix::kPanelWidth % kNr == 0,
                "a tile covers whole panels or whole vectors of one panel");
  static_assert(Nc % kNr == 0, "tasks are whole tiles wide");
};

// Calls f(std::integral_constant<int, n>) for a run-time n in [1, N], so a tile with fewer
// rows or vectors still keeps its accumulators in a compile-time register block.
template <int N, class F>
void with_count(int64_t n, F&& f) {
  if constexpr (N > 1) {
    if (n < N) return with_count<N - 1>(n, std::forward<F>(f));
  }
  f(std::integral_constant<int, N>{});
}

// Element `part` of `total` split into `count` nearly equal parts starts here.
inline int64_t split_point(int64_t total, int64_t count, int64_t part) {
  return total * part / count;
}

// How one call is cut into tasks: m_blocks x n_blocks, N counted in tiles of kNr columns. The
// packed rows of M block mb are tagged first_tag + mb in a worker's cache.
struct TaskGrid {
  int64_t m_blocks = 1, n_blocks = 1, n_tiles = 1;
  uint64_t first_tag = 0;
  int64_t count() const { return m_blocks * n_blocks; }
};

// Tasks per worker the grid aims at: a worker that wakes late or runs slower takes fewer.
constexpr int64_t kTasksPerThread = 4;
// Narrowest task, in tiles: each A micro-panel loaded into L1 serves at least this many tiles.
constexpr int64_t kMinTilesPerTask = 4;

// Blocks no larger than Mc x Nc; then narrower blocks (down to kMinTilesPerTask tiles) until
// each worker has kTasksPerThread tasks, then shorter ones until each has at least one.
template <class B>
TaskGrid plan_tasks(int64_t m, int64_t n, int threads) {
  TaskGrid grid;
  grid.n_tiles = (n + B::kNr - 1) / B::kNr;
  grid.m_blocks = (m + B::kMc - 1) / B::kMc;
  grid.n_blocks = (grid.n_tiles * B::kNr + B::kNc - 1) / B::kNc;
  while (grid.count() < kTasksPerThread * threads &&
         kMinTilesPerTask * (grid.n_blocks + 1) <= grid.n_tiles) {
    grid.n_blocks++;
  }
  const int64_t m_panels = (m + B::kMr - 1) / B::kMr;
  while (grid.count() < threads && grid.m_blocks < m_panels) grid.m_blocks++;
  grid.first_tag = reserve_gemm_tags(grid.m_blocks);
  return grid;
}

// Scalar's operations under a type of their own per ISA, for the lanes past the last whole
// vector: the templates instantiated for them (gelu_math::gelu_erf<Lane<S>>, ...) are then
// distinct symbols in the AVX2 and the AVX-512 file, so the linker cannot hand the AVX2 path a
// copy compiled with AVX-512 instructions.
template <class S>
struct Lane : Scalar {};

// f(x) for the linear's activation, on a vector of traits T (S, or Lane<S> for tail lanes).
template <class T>
typename T::V activate(typename T::V x, Activation activation) {
  switch (activation) {
    case Activation::kGeluErf:
      return gelu_math::gelu_erf<T>(x);
    case Activation::kGeluTanh:
      return gelu_math::gelu_tanh<T>(x);
    case Activation::kNone:
      break;
  }
  return x;
}

// out[j] = act(alpha t[j] + bias[j]) + residual[j] for j in [0, count), the vector part with S
// and the rest lane by lane (bias and residual may be null).
template <class S>
void finish_row(const float* t, float alpha, const float* bias, const float* residual,
                Activation activation, int64_t count, float* out) {
  int64_t j = 0;
  const typename S::V alpha_v = S::set1(alpha);
  for (; j + S::W <= count; j += S::W) {
    typename S::V x = S::mul(alpha_v, S::load(t + j));
    if (bias) x = S::add(x, S::load(bias + j));
    x = activate<S>(x, activation);
    if (residual) x = S::add(x, S::load(residual + j));
    S::store(out + j, x);
  }
  for (; j < count; j++) {
    float x = alpha * t[j] + (bias ? bias[j] : 0.0f);
    x = activate<Lane<S>>(x, activation);
    out[j] = residual ? x + residual[j] : x;
  }
}

template <class S, class B>
class Gemm {
 public:
  using V = typename S::V;
  static constexpr int W = S::W;
  static constexpr int kPanel = static_cast<int>(PackedMatrix::kPanelWidth);

  Gemm(const LinearParams& p, const TaskGrid& grid) : p_(p), grid_(grid) {}

  // Runs task `t` (M block t / n_blocks, N block t % n_blocks); false when the scratch buffers
  // could not be allocated.
  bool run(int64_t t) {
    const int64_t mb = t / grid_.n_blocks, nb = t % grid_.n_blocks;
    m0_ = split_point(p_.m, grid_.m_blocks, mb);
    rows_ = split_point(p_.m, grid_.m_blocks, mb + 1) - m0_;
    n0_ = split_point(grid_.n_tiles, grid_.n_blocks, nb) * B::kNr;
    cols_ = std::min(split_point(grid_.n_tiles, grid_.n_blocks, nb + 1) * B::kNr, p_.b->n()) - n0_;
    if (!allocate(grid_.first_tag + mb)) return false;
    for (int64_t pc = 0, kb = 0; pc < p_.k; pc += B::kKc, kb++) {
      const int64_t kc = std::min(B::kKc, p_.k - pc);
      float* a = apack_ + (keep_ ? kb * rows_ * B::kLda : 0);
      if (!packed_) pack_a(pc, kc, a);
      block(pc, kc, a);
    }
    if (keep_) *tag_ = tag_wanted_;
    return true;
  }

 private:
  // At most this many floats of packed A are kept for a worker's next task (4 MiB); larger
  // blocks are packed one K block at a time into the same space.
  static constexpr int64_t kMaxKeptA = int64_t{1} << 20;

  // Packed A: rows_ x kLda per K block (every K block when they are kept); partial sums (only
  // when K takes several blocks): rows_ x ldp_. Finds whether the rows tagged `tag` are packed.
  bool allocate(uint64_t tag) {
    const int64_t k_blocks = (p_.k + B::kKc - 1) / B::kKc;
    keep_ = k_blocks * rows_ * B::kLda <= kMaxKeptA;
    const ScratchBuffer a = gemm_scratch(
        GemmScratch::kPackedA, static_cast<size_t>((keep_ ? k_blocks : 1) * rows_ * B::kLda));
    apack_ = a.data;
    tag_ = a.tag;
    tag_wanted_ = tag;
    packed_ = keep_ && *tag_ == tag;
    *tag_ = 0;  // overwritten below: valid again once the task has packed every K block
    if (p_.k <= B::kKc) return apack_ != nullptr;
    ldp_ = (cols_ + W - 1) / W * W + 16;
    partial_ = gemm_scratch(GemmScratch::kPartialSums, static_cast<size_t>(rows_ * ldp_)).data;
    return apack_ != nullptr && partial_ != nullptr;
  }

  // dst[r][c] = a[m0 + r][pc + c] for r < rows_, c < kc (rows kLda apart).
  void pack_a(int64_t pc, int64_t kc, float* a_block) {
    for (int64_t r = 0; r < rows_; r++) {
      const float* src = p_.a + (m0_ + r) * p_.a_row_stride + pc;
      float* dst = a_block + r * B::kLda;
      int64_t c = 0;
      for (; c + W <= kc; c += W) S::store(dst + c, S::load(src + c));
      for (; c < kc; c++) dst[c] = src[c];
    }
  }

  // Every tile of the task for the K block [pc, pc + kc), with that block of packed A.
  void block(int64_t pc, int64_t kc, const float* a) {
    const int64_t panels = (rows_ + B::kMr - 1) / B::kMr;
    for (int64_t panel = 0; panel < panels; panel++) {
      const int64_t r0 = split_point(rows_, panels, panel);
      const int64_t mr = split_point(rows_, panels, panel + 1) - r0;
      with_count<B::kMr>(mr, [&](auto mr_c) {
        for (int64_t j = 0; j < cols_; j += B::kNr) {
          const int64_t nv = (std::min(B::kNr, cols_ - j) + W - 1) / W;
          with_count<B::kNv>(nv, [&](auto nv_c) { tile<mr_c, nv_c>(pc, kc, a, r0, j); });
        }
      });
    }
  }

  // The MR x NV-vector tile at task row r0, task column j, over the K block [pc, pc + kc).
  template <int MR, int NV>
  void tile(int64_t pc, int64_t kc, const float* a, int64_t r0, int64_t j) {
    const bool first = pc == 0, last = pc + kc >= p_.k;
    float* partial = partial_ ? partial_ + r0 * ldp_ + j : nullptr;  // only when K > kKc
    V acc[MR][NV];
    for (int i = 0; i < MR; i++)
      for (int v = 0; v < NV; v++)
        acc[i][v] = first ? S::zero() : S::load(partial + i * ldp_ + v * W);
    multiply<MR, NV>(kc, a + r0 * B::kLda, b_vectors<NV>(pc, n0_ + j), acc);
    if (!last) {
      for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++) S::store(partial + i * ldp_ + v * W, acc[i][v]);
      return;
    }
    alignas(64) float t[MR][NV * W];
    for (int i = 0; i < MR; i++)
      for (int v = 0; v < NV; v++) S::store(t[i] + v * W, acc[i][v]);
    epilogue(&t[0][0], NV * W, MR, r0, j);
  }

  // Where vector v of column tile n (a multiple of kNr) starts in packed B at row pc.
  template <int NV>
  std::array<const float*, NV> b_vectors(int64_t pc, int64_t n) const {
    std::array<const float*, NV> b;
    for (int v = 0; v < NV; v++) {
      const int64_t column = n + v * W;
      b[v] = p_.b->panel(column / kPanel) + pc * kPanel + column % kPanel;
    }
    return b;
  }

  // acc[i][v] += sum over k < kc of a[i * kLda + k] * b[v][k * 16 .. + W): the microkernel.
  //   a: MR rows of packed A   b[v]: [kc][16] panel rows, W columns each
  template <int MR, int NV>
  static void multiply(int64_t kc, const float* a, const std::array<const float*, NV>& b,
                       V (&acc)[MR][NV]) {
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; k++) {
      V bv[NV];
      for (int v = 0; v < NV; v++) {
        // B streams from L2; asking 16 rows ahead: 3-6% on one thread, in-process A/B
        __builtin_prefetch(b[v] + (k + 16) * kPanel);
        bv[v] = S::load(b[v] + k * kPanel);
      }
      for (int i = 0; i < MR; i++) {
        const V ai = S::set1(a[i * B::kLda + k]);
        for (int v = 0; v < NV; v++) acc[i][v] = S::fmadd(ai, bv[v], acc[i][v]);
      }
    }
  }

  // Writes `rows` rows of the finished tile t (row stride ldt) to out at task row r0, column j.
  void epilogue(const float* t, int64_t ldt, int64_t rows, int64_t r0, int64_t j) {
    const int64_t column = n0_ + j;
    const int64_t count = std::min(B::kNr, cols_ - j);
    const float* bias = p_.bias ? p_.bias + column : nullptr;
    for (int64_t i = 0; i < rows; i++) {
      const int64_t row = m0_ + r0 + i;
      const float* residual =
          p_.residual ? p_.residual + row * p_.residual_row_stride + column : nullptr;
      finish_row<S>(t + i * ldt, p_.alpha, bias, residual, p_.activation, count,
                    p_.out + row * p_.out_row_stride + column);
    }
  }

  const LinearParams& p_;
  const TaskGrid& grid_;
  int64_t m0_ = 0, rows_ = 0, n0_ = 0, cols_ = 0;
  float* apack_ = nullptr;
  uint64_t* tag_ = nullptr;  // what the worker's packed-A buffer holds
  uint64_t tag_wanted_ = 0;  // this task's rows
  bool keep_ = false;        // every K block of packed A is kept (and tagged)
  bool packed_ = false;      // ... and already holds this task's rows
  float* partial_ = nullptr;
  int64_t ldp_ = 0;
};

// a: [M, K], b: [K, N] packed, bias: [N], residual/out: [M, N] (parameters already checked)
template <class S, class B>
Status run_linear(const LinearParams& p, int max_threads) {
  const int threads = max_threads > 0 ? max_threads : default_thread_count();
  const TaskGrid grid = plan_tasks<B>(p.m, p.b->n(), threads);
  std::atomic<bool> out_of_memory{false};
  parallel_for(grid.count(), threads, [&](int64_t t) {
    Gemm<S, B> gemm(p, grid);
    if (!gemm.run(t)) out_of_memory = true;
  });
  if (out_of_memory) {
    return Status(StatusCode::kOutOfMemory, "linear: out of memory for the packing buffers");
  }
  return Status::Ok();
}

}  // namespace gemm_simd
}  // namespace tessera
