// flash_attention(): checks the parameters, then runs the kernel chosen for the ISA.
#include <cmath>
#include <string>

#include "cpu/flash_attention_isa.h"
#include "tessera/attention.h"

namespace tessera {

Status check_attention_shape(int64_t batch, int64_t seq_q, int64_t seq_k, int64_t heads,
                             int64_t head_dim, float scale) {
  if (batch < 1 || seq_q < 1 || seq_k < 1 || heads < 1) {
    return Status::Invalid("args: B, Nq, Nk and H must be >= 1");
  }
  if (head_dim < 1 || head_dim > kMaxHeadDim) {
    return Status::Invalid("headDim: expected D in [1, " + std::to_string(kMaxHeadDim) +
                           "], received " + std::to_string(head_dim));
  }
  if (!std::isfinite(scale)) return Status::Invalid("scale: expected a finite float32");
  return Status::Ok();
}

Status check_attention_params(const AttentionParams& p) {
  if (!p.q || !p.k || !p.v || !p.out) return Status::Invalid("args: missing q, k, v or out");
  Status status = check_attention_shape(p.batch, p.seq_q, p.seq_k, p.heads, p.head_dim, p.scale);
  if (!status.ok()) return status;
  if (p.key_lengths) {
    for (int64_t b = 0; b < p.batch; b++) {
      if (p.key_lengths[b] < 0 || p.key_lengths[b] > p.seq_k) {
        return Status::Invalid("keyLengths[" + std::to_string(b) + "]: expected a length in [0, " +
                               std::to_string(p.seq_k) + "]");
      }
    }
  }
  return Status::Ok();
}

Status flash_attention(const AttentionParams& p, const RunOptions& opts) {
  Isa isa = Isa::kScalar;
  Status status = check_attention_params(p);
  if (status.ok()) status = choose_isa(opts, &isa);
  if (!status.ok()) return status;
  switch (isa) {
#if defined(TESSERA_X86)
    case Isa::kAvx512:
      return flash_attention_avx512(p, opts.max_threads);
    case Isa::kAvx2:
      return flash_attention_avx2(p, opts.max_threads);
#endif
    default:
      flash_attention_reference(p, opts.max_threads);
      return Status::Ok();
  }
}

}  // namespace tessera
