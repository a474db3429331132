/**
 * The fp64 oracle of Hugging Face's ViTForImageClassification forward (eval mode, no dropout).
 *
 * Deliberately plain: loops over float64 arrays computed from the fp32 weights and pixels, one
 * token and one head at a time. It reads the config and the weights itself and shares no code
 * with lib/ (only types), so a bug in the ONNX graph builder cannot hide in the oracle too.
 *   pixels [B, C, H, W] -> Conv patch embedding (stride = kernel) -> [cls, patches] + positions
 *   -> per layer (pre-norm): x += out(attn(LN_before(x))); x += fc2(act(fc1(LN_after(x))))
 *      attn: per head softmax(q k^T / sqrt(d)) v
 *   -> LN(x)[:, 0] -> classifier -> logits [B, labels]
 * GELU is the exact form x/2 (1 + erf(x / sqrt 2)) for 'gelu', the tanh form for 'gelu_new' and
 * 'gelu_pytorch_tanh'.
 */
import type { TensorLike } from '../../lib';
import type { HfViTConfig } from '../../lib/bench/vit-weights';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf in float64 (Math has none). |x| < 3: the all-positive series
 * erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)), no cancellation;
 * |x| >= 3: 1 - erfc(x) with erfc's continued fraction
 * erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))).
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  const sign = x < 0 ? -1 : 1;
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (2 * a * a) / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return sign * TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
  }
  return sign * (1 - erfc(a));
}

/** erfc(x) for x >= 3 by the continued fraction, evaluated backwards from a fixed depth. */
export function erfc(x: number): number {
  if (x < 3) return 1 - erf(x);
  let t = x;
  for (let n = 120; n >= 1; n--) t = x + n / 2 / t;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / t;
}

export function geluExact(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

function side(value: HfViTConfig['image_size']): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/** A weight as contiguous float64 (reading strides itself), checked against `shape`. */
function read(weights: ReadonlyMap<string, TensorLike>, name: string, shape: readonly number[]): Float64Array {
  const t = weights.get(name);
  if (!t) throw new Error(`reference ViT: missing weight ${name}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`reference ViT: ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  const strides = t.strides ?? shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let rest = i;
    let offset = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      offset += (rest % shape[d]) * strides[d];
      rest = Math.floor(rest / shape[d]);
    }
    out[i] = t.data[offset];
  }
  return out;
}

/** y[t] = W x[t] + b for each of `rows` rows; W [out, in] (nn.Linear). */
function linear(x: Float64Array, rows: number, inp: number, w: Float64Array, b: Float64Array | null, out: number): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let sum = b ? b[o] : 0;
      for (let i = 0; i < inp; i++) sum += w[o * inp + i] * x[r * inp + i];
      y[r * out + o] = sum;
    }
  }
  return y;
}

function layerNorm(x: Float64Array, rows: number, n: number, w: Float64Array, b: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[r * n + i];
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (x[r * n + i] - mean) ** 2;
    variance /= n;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < n; i++) y[r * n + i] = (x[r * n + i] - mean) * inv * w[i] + b[i];
  }
  return y;
}

/**
 * Logits [B, labels] (float64) of ViTForImageClassification for pixels [B, C, H, W] (fp32,
 * row-major); H and W are the config's image_size. Every row must allow at least one key.
 */
export function referenceViT(
  config: HfViTConfig,
  weights: ReadonlyMap<string, TensorLike>,
  pixels: Float32Array,
  batch: number,
  /** Which keys query i sees, per layer (default: all): masked scores are -inf before the softmax. */
  allowed?: (layer: number, i: number, j: number) => boolean,
): Float64Array {
  const h = config.hidden_size;
  const heads = config.num_attention_heads;
  const d = h / heads;
  const inter = config.intermediate_size;
  const [ph, pw] = side(config.patch_size);
  const [imageH, imageW] = side(config.image_size);
  const channels = config.num_channels ?? 3;
  const eps = config.layer_norm_eps ?? 1e-12;
  const act = config.hidden_act ?? 'gelu';
  const gelu = act === 'gelu' ? geluExact : act === 'gelu_new' || act === 'gelu_pytorch_tanh' ? geluTanh : null;
  if (!gelu) throw new Error(`reference ViT: unsupported hidden_act ${act}`);
  const qkvBias = config.qkv_bias ?? true;
  const labels = config.id2label ? Object.keys(config.id2label).length : (config.num_labels ?? 2);
  const gh = imageH / ph;
  const gw = imageW / pw;
  const tokens = gh * gw + 1;
  if (pixels.length !== batch * channels * imageH * imageW) throw new Error('reference ViT: pixels do not match [B, C, H, W]');

  const w = (name: string, shape: readonly number[]): Float64Array => read(weights, name, shape);
  const convW = w('vit.embeddings.patch_embeddings.projection.weight', [h, channels, ph, pw]);
  const convB = w('vit.embeddings.patch_embeddings.projection.bias', [h]);
  const cls = w('vit.embeddings.cls_token', [1, 1, h]);
  const pos = w('vit.embeddings.position_embeddings', [1, tokens, h]);
  const logits = new Float64Array(batch * labels);

  for (let b = 0; b < batch; b++) {
    // Embeddings: token 0 is the class token, token 1 + gy * gw + gx the patch at (gy, gx).
    let x = new Float64Array(tokens * h);
    for (let o = 0; o < h; o++) x[o] = cls[o] + pos[o];
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++) {
        const t = 1 + gy * gw + gx;
        for (let o = 0; o < h; o++) {
          let sum = convB[o];
          for (let c = 0; c < channels; c++) {
            for (let ky = 0; ky < ph; ky++) {
              for (let kx = 0; kx < pw; kx++) {
                const pixel = pixels[((b * channels + c) * imageH + gy * ph + ky) * imageW + gx * pw + kx];
                sum += convW[((o * channels + c) * ph + ky) * pw + kx] * pixel;
              }
            }
          }
          x[t * h + o] = sum + pos[t * h + o];
        }
      }
    }

    for (let layer = 0; layer < config.num_hidden_layers; layer++) {
      const p = `vit.encoder.layer.${layer}`;
      const normed = layerNorm(x, tokens, h, w(`${p}.layernorm_before.weight`, [h]), w(`${p}.layernorm_before.bias`, [h]), eps);
      const proj = (name: string): Float64Array =>
        linear(normed, tokens, h, w(`${p}.attention.attention.${name}.weight`, [h, h]), qkvBias ? w(`${p}.attention.attention.${name}.bias`, [h]) : null, h);
      const q = proj('query');
      const k = proj('key');
      const v = proj('value');
      const context = new Float64Array(tokens * h);
      const scores = new Float64Array(tokens);
      for (let head = 0; head < heads; head++) {
        for (let i = 0; i < tokens; i++) {
          let max = -Infinity;
          for (let j = 0; j < tokens; j++) {
            let dot = 0;
            for (let e = 0; e < d; e++) dot += q[i * h + head * d + e] * k[j * h + head * d + e];
            scores[j] = !allowed || allowed(layer, i, j) ? dot / Math.sqrt(d) : -Infinity;
            max = Math.max(max, scores[j]);
          }
          let total = 0;
          for (let j = 0; j < tokens; j++) {
            scores[j] = Math.exp(scores[j] - max);
            total += scores[j];
          }
          for (let e = 0; e < d; e++) {
            let sum = 0;
            for (let j = 0; j < tokens; j++) sum += scores[j] * v[j * h + head * d + e];
            context[i * h + head * d + e] = sum / total;
          }
        }
      }
      const attended = linear(context, tokens, h, w(`${p}.attention.output.dense.weight`, [h, h]), w(`${p}.attention.output.dense.bias`, [h]), h);
      const residual = x.map((value, i) => value + attended[i]);
      const normed2 = layerNorm(residual, tokens, h, w(`${p}.layernorm_after.weight`, [h]), w(`${p}.layernorm_after.bias`, [h]), eps);
      const up = linear(normed2, tokens, h, w(`${p}.intermediate.dense.weight`, [inter, h]), w(`${p}.intermediate.dense.bias`, [inter]), inter).map(gelu);
      const down = linear(up, tokens, inter, w(`${p}.output.dense.weight`, [h, inter]), w(`${p}.output.dense.bias`, [h]), h);
      x = residual.map((value, i) => value + down[i]);
    }

    const final = layerNorm(x.subarray(0, h), 1, h, w('vit.layernorm.weight', [h]), w('vit.layernorm.bias', [h]), eps);
    logits.set(linear(final, 1, h, w('classifier.weight', [labels, h]), w('classifier.bias', [labels]), labels), b * labels);
  }
  return logits;
}
