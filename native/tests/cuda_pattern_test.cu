// The pattern attention cases of tessera_cuda_tests: each pattern family (sliding, strided, fixed,
// neighborhood 1D/2D/3D with dilation and a class token, axial temporal/spatial/rows, global with
// an inner pattern, explicit mask, full), some with causal, key lengths (empty rows), D from 32 to
// 256 and strided views. The plan is compiled on the CPU (compile_tile_plan), uploaded once and run
// by cuda_pattern_attention; the reference is an fp64 attention under the exact predicate
// (pattern_allows, causal, key lengths), independent of the plan. Without a GPU, the kernels'
// walk of each plan (pattern_device.cuh) runs on the host and must visit every allowed pair
// exactly once and no other pair.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cuda/pattern_device.cuh"
#include "cuda_test_harness.h"
#include "tessera/cuda_pattern.h"
#include "tessera/pattern.h"

namespace tessera {
namespace cuda_test {
namespace {

using cuda_detail::KeyChunk;
using cuda_detail::kPatternChunkKeys;
using cuda_detail::PatternView;

struct PatternCase {
  std::string name;
  PatternSpec spec;
  Case shape;
};

// Whether query i of batch b may see key j: the pattern, causal and the key length.
bool pair_allowed(const PatternSpec& spec, const Case& c, int64_t b, int64_t i, int64_t j) {
  const int64_t limit =
      c.key_lengths.empty() ? c.seq_k : std::clamp<int64_t>(c.key_lengths[b], 0, c.seq_k);
  return j < limit && (!c.causal || j <= i) && pattern_allows(spec, c.seq_k, i, j);
}

// Row i of (b, h) in fp64: out [D] and the natural-log lse (zeros and -inf without keys).
void reference_row(const PatternSpec& spec, const Case& c, const Inputs& in, int64_t b, int64_t h,
                   int64_t i, Result* r) {
  const auto at = [&](int64_t seq, int64_t n) {
    return ((b * seq + n) * c.heads + h) * c.head_dim;
  };
  const double scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));  // the kernels' scale
  std::vector<std::pair<int64_t, double>> scores;
  double max_score = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < c.seq_k; j++) {
    if (!pair_allowed(spec, c, b, i, j)) continue;
    double dot = 0.0;
    for (int64_t d = 0; d < c.head_dim; d++) {
      dot += static_cast<double>(in.q[at(c.seq_q, i) + d]) * in.k[at(c.seq_k, j) + d];
    }
    scores.emplace_back(j, dot * scale);
    max_score = std::max(max_score, dot * scale);
  }
  std::vector<double> acc(static_cast<size_t>(c.head_dim), 0.0);
  double sum = 0.0;
  for (const auto& [j, score] : scores) {
    const double weight = std::exp(score - max_score);
    sum += weight;
    for (int64_t d = 0; d < c.head_dim; d++) acc[d] += weight * in.v[at(c.seq_k, j) + d];
  }
  for (int64_t d = 0; d < c.head_dim; d++) {
    r->out[at(c.seq_q, i) + d] = sum > 0.0 ? static_cast<float>(acc[d] / sum) : 0.0f;
  }
  r->lse[(b * c.heads + h) * c.seq_q + i] = sum > 0.0
                                                ? static_cast<float>(max_score + std::log(sum))
                                                : -std::numeric_limits<float>::infinity();
}

Result masked_reference(const PatternSpec& spec, const Case& c, const Inputs& in) {
  Result r;
  r.out.assign(in.q.size(), 0.0f);
  r.lse.assign(static_cast<size_t>(c.batch * c.heads * c.seq_q), 0.0f);
  for (int64_t b = 0; b < c.batch; b++)
    for (int64_t h = 0; h < c.heads; h++)
      for (int64_t i = 0; i < c.seq_q; i++) reference_row(spec, c, in, b, h, i, &r);
  return r;
}

// ---- the pattern families ----

PatternSpec sliding(int64_t radius) {
  PatternSpec s;
  s.type = PatternType::kSliding;
  s.radius = radius;
  return s;
}

PatternSpec strided(int64_t stride) {
  PatternSpec s;
  s.type = PatternType::kStrided;
  s.stride = stride;
  return s;
}

PatternSpec fixed(int64_t block, int64_t summary) {
  PatternSpec s;
  s.type = PatternType::kFixed;
  s.block = block;
  s.summary = summary;
  return s;
}

PatternSpec neighborhood(std::vector<int64_t> grid, std::vector<int64_t> window,
                         std::vector<int64_t> dilation, int64_t offset) {
  PatternSpec s;
  s.type = PatternType::kNeighborhood;
  s.grid = std::move(grid);
  s.window = std::move(window);
  s.dilation = std::move(dilation);
  s.offset = offset;
  return s;
}

PatternSpec axial(std::vector<int64_t> grid, std::vector<bool> attended, int64_t offset) {
  PatternSpec s;
  s.type = PatternType::kAxial;
  s.grid = std::move(grid);
  s.attended = std::move(attended);
  s.offset = offset;
  return s;
}

PatternSpec global(std::vector<int32_t> tokens, PatternSpec inner) {
  PatternSpec s;
  s.type = PatternType::kGlobal;
  s.tokens = std::move(tokens);
  s.inner = std::make_shared<const PatternSpec>(std::move(inner));
  return s;
}

// About `density` of the pairs, with rows `empty_rows` seeing no key.
PatternSpec random_mask(int64_t seq_q, int64_t seq_k, double density,
                        const std::vector<int64_t>& empty_rows) {
  PatternSpec s;
  s.type = PatternType::kMask;
  std::mt19937 rng(7);
  std::bernoulli_distribution bit(density);
  s.bits.resize(static_cast<size_t>(seq_q * seq_k));
  for (auto& x : s.bits) x = bit(rng) ? 1 : 0;
  for (int64_t i : empty_rows) std::fill_n(s.bits.begin() + i * seq_k, seq_k, uint8_t{0});
  return s;
}

PatternSpec full() { return PatternSpec(); }

Case shape(int64_t seq_q, int64_t seq_k, int64_t head_dim) {
  Case c;
  c.seq_q = seq_q, c.seq_k = seq_k, c.head_dim = head_dim;
  return c;
}

Case causal(Case c) {
  c.causal = true;
  return c;
}

Case with_key_lengths(Case c, std::vector<int32_t> lengths) {
  c.key_lengths = std::move(lengths);
  return c;
}

Case packed(Case c) {
  c.layout = Layout::kPackedQkv;
  return c;
}

Case large_logits(Case c) {
  c.logit_factor = 50.0f;
  return c;
}

std::vector<PatternCase> pattern_cases() {
  const PatternSpec image = neighborhood({14, 14}, {7, 7}, {1, 1}, 1);  // ViT-B/16 at 224 + cls
  return {
      {"sliding r=5", sliding(5), shape(300, 300, 64)},
      {"sliding r=0", sliding(0), causal(shape(129, 129, 32))},
      {"strided l=16", strided(16), shape(257, 257, 64)},
      {"strided l=16", strided(16), with_key_lengths(causal(shape(257, 257, 64)), {200, 57})},
      {"fixed l=32 c=4", fixed(32, 4), causal(shape(200, 200, 128))},
      {"neighborhood 1D k7 d2", neighborhood({250}, {7}, {2}, 0), shape(250, 250, 64)},
      {"neighborhood 2D 7x7 +cls", image, shape(197, 197, 64)},
      {"neighborhood 2D 7x7 +cls", image, causal(shape(197, 197, 64))},
      {"neighborhood 2D 7x7 +cls", image, with_key_lengths(shape(197, 197, 64), {197, 100})},
      {"neighborhood 2D 7x7 +cls", image, large_logits(shape(197, 197, 64))},
      {"neighborhood 2D 5x3 d2,3 +cls", neighborhood({16, 20}, {5, 3}, {2, 3}, 1),
       shape(321, 321, 80)},
      {"neighborhood 2D 7x7 on 5x9", neighborhood({5, 9}, {7, 7}, {1, 1}, 0), shape(45, 45, 64)},
      {"neighborhood 3D 3x5x5 d1,2,1 +cls", neighborhood({4, 8, 8}, {3, 5, 5}, {1, 2, 1}, 1),
       shape(257, 257, 64)},
      {"neighborhood 3D 3x5x5 d1,2,1 +cls", neighborhood({4, 8, 8}, {3, 5, 5}, {1, 2, 1}, 1),
       shape(257, 257, 256)},
      {"axial temporal [8,6,6] +cls", axial({8, 6, 6}, {true, false, false}, 1),
       shape(289, 289, 64)},
      {"axial spatial [8,6,6] +cls", axial({8, 6, 6}, {false, true, true}, 1),
       packed(shape(289, 289, 64))},
      {"axial rows [16,16]", axial({16, 16}, {false, true}, 0), shape(256, 256, 128)},
      {"global {0,5,100} + sliding r=3", global({0, 5, 100}, sliding(3)), shape(200, 200, 64)},
      {"global {0,5,100} + sliding r=3", global({0, 5, 100}, sliding(3)),
       causal(shape(200, 200, 64))},
      {"global {0} + neighborhood 2D", global({0}, image), shape(197, 197, 32)},
      {"mask 10% (rows 3, 50 empty)", random_mask(100, 170, 0.1, {3, 50}),
       with_key_lengths(shape(100, 170, 64), {170, 20})},
      {"full", full(), shape(113, 203, 64)},
  };
}

// Compiles and uploads the case's plan, then checks the GPU kernel in every dtype.
bool check_pattern_case(const PatternCase& pc, uint32_t seed) {
  const Case& c = pc.shape;
  CompiledPattern plan;
  CudaCompiledPattern device_plan;
  Status status = compile_tile_plan(pc.spec, c.seq_q, c.seq_k, c.causal, &plan);
  if (status.ok()) status = upload_pattern(plan, &device_plan);
  if (!status.ok()) {
    std::printf("FAIL  pattern %s: %s\n", pc.name.c_str(), status.message().c_str());
    return false;
  }
  const Kernel kernel{
      "pattern " + pc.name,
      [&](const Case& shape, const Inputs& in) { return masked_reference(pc.spec, shape, in); },
      [&](const CudaAttentionParams& p) {
        return cuda_pattern_attention(p, device_plan, nullptr);
      }};
  return check_case(c, seed, kernel);
}

// The host view of a plan (host pointers; the kernels get the same view of the device copy).
PatternView host_view(const CompiledPattern& plan) {
  PatternView view;
  view.query_tiles = plan.query_tiles.data();
  view.key_tiles = plan.key_tiles.data();
  view.positions = plan.positions.data();
  view.masks = plan.masks.data();
  view.query_tile_count = static_cast<int64_t>(plan.query_tiles.size());
  return view;
}

// How often the kernels' walk scores each pair (i, j) of batch b unmasked ([Nq * Nk]), how
// often it stores each row ([Nq]), and how many seen keys it would zero-fill (must be none).
struct Walk {
  std::vector<int> visits, stores;
  int64_t seen_zero_rows = 0;
};

Walk walk_plan(const CompiledPattern& plan, const Case& c, int64_t b) {
  const PatternView view = host_view(plan);
  const int64_t limit =
      c.key_lengths.empty() ? c.seq_k : std::clamp<int64_t>(c.key_lengths[b], 0, c.seq_k);
  const std::vector<uint8_t> slice(static_cast<size_t>(c.seq_k));  // key j at slice.data() + j
  Walk walk;
  walk.visits.resize(static_cast<size_t>(c.seq_q * c.seq_k));
  walk.stores.resize(static_cast<size_t>(c.seq_q));
  for (const QueryTile& tile : plan.query_tiles) {
    int64_t rows[kPatternTileRows];
    for (int r = 0; r < kPatternTileRows; r++) {
      rows[r] = cuda_detail::query_position(view, tile, r);
      if (rows[r] >= 0) walk.stores[rows[r]]++;
    }
    const uint64_t rows_word = cuda_detail::tile_rows_word(tile.rows.count);
    const int64_t end_tile = tile.first_key_tile + tile.key_tile_count;
    for (KeyChunk chunk{tile.first_key_tile, 0}; chunk.tile < end_tile;
         chunk = cuda_detail::next_chunk(view, chunk)) {
      const KeyTile& key_tile = plan.key_tiles[chunk.tile];
      for (int lane = 0; lane < kPatternChunkKeys; lane++) {
        const uint64_t seen =
            cuda_detail::lane_key_rows(view, key_tile, chunk, lane, limit, rows_word);
        const uint8_t* row =
            cuda_detail::key_row(view, key_tile, chunk, lane, slice.data(), 1, limit);
        walk.seen_zero_rows += seen != 0 && row == nullptr;
        for (int r = 0; r < kPatternTileRows && row != nullptr; r++) {
          if ((seen >> r) & 1) walk.visits[rows[r] * c.seq_k + (row - slice.data())]++;
        }
      }
    }
  }
  return walk;
}

// Number of pairs (over every batch) the walk gets wrong, and of rows not stored exactly once.
int64_t walk_errors(const PatternCase& pc, const CompiledPattern& plan) {
  const Case& c = pc.shape;
  int64_t errors = 0;
  for (int64_t b = 0; b < c.batch; b++) {
    const Walk walk = walk_plan(plan, c, b);
    errors += walk.seen_zero_rows;
    for (int64_t i = 0; i < c.seq_q; i++) {
      errors += walk.stores[i] != 1;
      for (int64_t j = 0; j < c.seq_k; j++) {
        errors += walk.visits[i * c.seq_k + j] != (pair_allowed(pc.spec, c, b, i, j) ? 1 : 0);
      }
    }
  }
  return errors;
}

// One argument check: prints PASS when `status` is an error (the expected rejection).
int expect_rejected(const char* what, const Status& status) {
  std::printf("%s  pattern: rejects %s: %s\n", status.ok() ? "FAIL" : "PASS", what,
              status.message().c_str());
  return status.ok() ? 1 : 0;
}

}  // namespace

int check_pattern_walks() {
  int failures = 0;
  for (const PatternCase& pc : pattern_cases()) {
    CompiledPattern plan;
    const Status status =
        compile_tile_plan(pc.spec, pc.shape.seq_q, pc.shape.seq_k, pc.shape.causal, &plan);
    const int64_t errors = status.ok() ? walk_errors(pc, plan) : -1;
    std::printf(
        "%s  pattern walk (host) %s: %lld wrong pairs/rows%s%s\n", errors == 0 ? "PASS" : "FAIL",
        (pc.name + " " + describe(pc.shape, DType::kFloat32)).c_str(),
        static_cast<long long>(errors), status.ok() ? "" : "  status: ", status.message().c_str());
    failures += errors == 0 ? 0 : 1;
  }
  return failures;
}

int check_pattern_arguments() {
  float dummy = 0.0f;
  CudaAttentionParams p;
  p.q = p.k = p.v = &dummy;
  p.out = &dummy;
  p.batch = p.heads = 1;
  p.seq_q = p.seq_k = 64;
  p.head_dim = 64;
  p.scale = 1.0f;
  CudaCompiledPattern plan;  // never uploaded: the checks that need no device come first
  plan.seq_q = plan.seq_k = 64;
  int failures =
      expect_rejected("a plan that is not uploaded", cuda_pattern_attention_supported(p, plan));
  p.seq_k = 65;
  failures += expect_rejected("a plan for another Nk", cuda_pattern_attention_supported(p, plan));
  p.seq_k = 64;
  p.causal = true;
  failures += expect_rejected("a plan compiled without causal for a causal call",
                              cuda_pattern_attention_supported(p, plan));
  return failures;
}

int check_pattern_cases(bool quick) {
  int failures = 0;
  uint32_t seed = 1000;
  for (const PatternCase& pc : pattern_cases()) {
    seed++;
    if (quick && std::max(pc.shape.seq_q, pc.shape.seq_k) > kQuickMaxLength) continue;
    failures += check_pattern_case(pc, seed) ? 0 : 1;
  }
  return failures;
}

}  // namespace cuda_test
}  // namespace tessera
