/**
 * Hugging Face ViT configs and reproducible synthetic weights for the ViT benchmark.
 *
 * The weights carry exactly the parameter names and shapes of Hugging Face's
 * ViTForImageClassification state dict (in its order), so the same Map can feed tessera's
 * loaders, the ONNX baseline graph (vit-onnx.ts) and the fp64 reference:
 *   vit.embeddings.cls_token                          [1, 1, h]
 *   vit.embeddings.position_embeddings                [1, gridH * gridW + 1, h]
 *   vit.embeddings.patch_embeddings.projection.weight [h, C, ph, pw]   (+ .bias [h])
 *   vit.encoder.layer.N.attention.attention.{query,key,value}.weight [h, h] (+ .bias [h] if qkv_bias)
 *   vit.encoder.layer.N.attention.output.dense.{weight [h, h], bias [h]}
 *   vit.encoder.layer.N.intermediate.dense.{weight [inter, h], bias [inter]}
 *   vit.encoder.layer.N.output.dense.{weight [h, inter], bias [h]}
 *   vit.encoder.layer.N.layernorm_{before,after}.{weight, bias} [h]
 *   vit.layernorm.{weight, bias} [h]
 *   classifier.{weight [labels, h], bias [labels]}
 */
import { Tensor, shapeSize } from '../tensor';
import { mulberry32 } from '../random';

/** The activations of Hugging Face's ACT2FN that the ViT baseline implements. */
export type ViTActivation = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh';

export const VIT_ACTIVATIONS: readonly ViTActivation[] = ['gelu', 'gelu_new', 'gelu_pytorch_tanh'];

/**
 * A Hugging Face ViT config.json as parsed, with transformers' snake_case keys (lib/models/vit/config.ts
 * reads the same file into tessera's camelCase ViTConfig); keys it does not use are allowed and ignored.
 * Optional keys take Hugging Face's defaults.
 */
export interface HfViTConfig {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  /** A side, or [height, width]. */
  patch_size: number | readonly [number, number];
  /** A side, or [height, width]. */
  image_size: number | readonly [number, number];
  /** Default 3. */
  num_channels?: number;
  /** Default 1e-12. */
  layer_norm_eps?: number;
  /** Default 'gelu' (the exact, erf form). */
  hidden_act?: string;
  /** Default true. */
  qkv_bias?: boolean;
  /** The number of labels is the number of keys here when present... */
  id2label?: Readonly<Record<string, string>>;
  /** ...else this (default 2, as in transformers' PretrainedConfig). */
  num_labels?: number;
  [key: string]: unknown;
}

/** An HfViTConfig with defaults applied, validated, and the derived sizes. */
export interface ResolvedViTConfig {
  hidden: number;
  layers: number;
  heads: number;
  headDim: number;
  intermediate: number;
  patch: [number, number];
  image: [number, number];
  /** image / patch per axis: the patch grid of the configured image size. */
  grid: [number, number];
  /** gridH * gridW + 1 (the class token). */
  tokens: number;
  channels: number;
  eps: number;
  act: ViTActivation;
  qkvBias: boolean;
  labels: number;
}

/** google/vit-base-patch16-224 (ViT-B/16, ImageNet-1k classifier, 86,567,656 parameters). */
export const VIT_B16_CONFIG: Readonly<HfViTConfig> = Object.freeze({
  model_type: 'vit',
  architectures: ['ViTForImageClassification'],
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  patch_size: 16,
  image_size: 224,
  num_channels: 3,
  layer_norm_eps: 1e-12,
  qkv_bias: true,
  num_labels: 1000,
});

function positiveInteger(label: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${label}: ${key} must be a positive integer, received ${JSON.stringify(value)}`);
  }
  return value;
}

function pair(label: string, config: HfViTConfig, key: 'patch_size' | 'image_size'): [number, number] {
  const value = config[key];
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new RangeError(`${label}: ${key} must be a number or [height, width], received ${JSON.stringify(value)}`);
    return [positiveInteger(label, `${key}[0]`, value[0]), positiveInteger(label, `${key}[1]`, value[1])];
  }
  const side = positiveInteger(label, key, value);
  return [side, side];
}

/** The number of classifier outputs: keys of id2label when present, else num_labels (default 2). */
export function vitNumLabels(config: HfViTConfig, label = 'ViT config'): number {
  if (config.id2label !== undefined && config.id2label !== null) {
    const count = Object.keys(config.id2label).length;
    return positiveInteger(label, 'the number of id2label entries', count);
  }
  return positiveInteger(label, 'num_labels', config.num_labels ?? 2);
}

/**
 * Defaults applied, every field checked (errors name the key, the expectation and the value).
 * `label` starts the errors; `defaultEps` is layer_norm_eps when absent (ViT's 1e-12).
 */
export function resolveViTConfig(config: HfViTConfig, label = 'ViT config', defaultEps = 1e-12): ResolvedViTConfig {
  if (typeof config !== 'object' || config === null) throw new TypeError(`${label} must be an object, received ${String(config)}`);
  const hidden = positiveInteger(label, 'hidden_size', config.hidden_size);
  const layers = positiveInteger(label, 'num_hidden_layers', config.num_hidden_layers);
  const heads = positiveInteger(label, 'num_attention_heads', config.num_attention_heads);
  if (hidden % heads !== 0) {
    throw new RangeError(`${label}: hidden_size (${hidden}) must be a multiple of num_attention_heads (${heads})`);
  }
  const intermediate = positiveInteger(label, 'intermediate_size', config.intermediate_size);
  const patch = pair(label, config, 'patch_size');
  const image = pair(label, config, 'image_size');
  if (image[0] % patch[0] !== 0 || image[1] % patch[1] !== 0) {
    throw new RangeError(`${label}: image_size [${image.join(', ')}] must be a multiple of patch_size [${patch.join(', ')}]`);
  }
  const grid: [number, number] = [image[0] / patch[0], image[1] / patch[1]];
  const channels = positiveInteger(label, 'num_channels', config.num_channels ?? 3);
  const eps = config.layer_norm_eps ?? defaultEps;
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) {
    throw new RangeError(`${label}: layer_norm_eps must be a positive number, received ${JSON.stringify(eps)}`);
  }
  const act = config.hidden_act ?? 'gelu';
  if (!VIT_ACTIVATIONS.includes(act as ViTActivation)) {
    throw new RangeError(`${label}: hidden_act must be one of ${VIT_ACTIVATIONS.join(', ')}, received ${JSON.stringify(act)}`);
  }
  const qkvBias = config.qkv_bias ?? true;
  if (typeof qkvBias !== 'boolean') throw new TypeError(`${label}: qkv_bias must be a boolean, received ${JSON.stringify(qkvBias)}`);
  return {
    hidden,
    layers,
    heads,
    headDim: hidden / heads,
    intermediate,
    patch,
    image,
    grid,
    tokens: grid[0] * grid[1] + 1,
    channels,
    eps,
    act: act as ViTActivation,
    qkvBias,
    labels: vitNumLabels(config, label),
  };
}

/** What a parameter is, which decides its synthetic distribution. */
export type ViTParameterKind = 'matrix' | 'embedding' | 'bias' | 'norm-weight' | 'norm-bias';

export interface ViTParameter {
  name: string;
  shape: number[];
  kind: ViTParameterKind;
}

/** The prefix of encoder layer `index`'s parameters. */
export function vitLayerPrefix(index: number): string {
  return `vit.encoder.layer.${index}`;
}

/** Functions that append an nn.Linear ([out, in] weight, optional bias) or an nn.LayerNorm ([h]) to `params`. */
export function parameterAdders(params: ViTParameter[], h: number): { linear: (name: string, out: number, inp: number, bias?: boolean) => void; norm: (name: string) => void } {
  return {
    linear: (name, out, inp, bias = true) => {
      params.push({ name: `${name}.weight`, shape: [out, inp], kind: 'matrix' });
      if (bias) params.push({ name: `${name}.bias`, shape: [out], kind: 'bias' });
    },
    norm: (name) => {
      params.push({ name: `${name}.weight`, shape: [h], kind: 'norm-weight' }, { name: `${name}.bias`, shape: [h], kind: 'norm-bias' });
    },
  };
}

/** Every parameter of ViTForImageClassification for this config, in the state dict's order. */
export function vitParameters(config: HfViTConfig): ViTParameter[] {
  const c = resolveViTConfig(config);
  const h = c.hidden;
  const params: ViTParameter[] = [
    { name: 'vit.embeddings.cls_token', shape: [1, 1, h], kind: 'embedding' },
    { name: 'vit.embeddings.position_embeddings', shape: [1, c.tokens, h], kind: 'embedding' },
    { name: 'vit.embeddings.patch_embeddings.projection.weight', shape: [h, c.channels, c.patch[0], c.patch[1]], kind: 'matrix' },
    { name: 'vit.embeddings.patch_embeddings.projection.bias', shape: [h], kind: 'bias' },
  ];
  const { linear, norm } = parameterAdders(params, h);
  for (let layer = 0; layer < c.layers; layer++) {
    const p = vitLayerPrefix(layer);
    for (const proj of ['query', 'key', 'value']) linear(`${p}.attention.attention.${proj}`, h, h, c.qkvBias);
    linear(`${p}.attention.output.dense`, h, h);
    linear(`${p}.intermediate.dense`, c.intermediate, h);
    linear(`${p}.output.dense`, h, c.intermediate);
    norm(`${p}.layernorm_before`);
    norm(`${p}.layernorm_after`);
  }
  norm('vit.layernorm');
  linear('classifier', c.labels, h);
  return params;
}

/** The number of parameters of ViTForImageClassification for this config. */
export function vitParameterCount(config: HfViTConfig): number {
  return vitParameters(config).reduce((sum, p) => sum + shapeSize(p.shape), 0);
}

export interface SyntheticViTOptions {
  /** Std of the (truncated at 2 std) normal of Linear/Conv weights, cls token and position embeddings; default 0.02. */
  std?: number;
}

/** mulberry32: a small, fast 32-bit generator; uniform() is in (0, 1]. */
class Mulberry32 {
  private readonly next: () => number;
  /** The second value of the last Box-Muller pair. */
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  uniform(): number {
    return (this.next() + 1) / 2 ** 32;
  }

  /** A standard normal truncated to [-2, 2] (resampled, as torch's trunc_normal_). */
  truncatedNormal(): number {
    for (;;) {
      let z: number;
      if (this.hasSpare) {
        z = this.spare;
        this.hasSpare = false;
      } else {
        // Marsaglia's polar method: a point uniform in the unit disc gives two normals.
        let u: number;
        let v: number;
        let s: number;
        do {
          u = 2 * this.uniform() - 1;
          v = 2 * this.uniform() - 1;
          s = u * u + v * v;
        } while (s >= 1 || s === 0);
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        z = u * f;
        this.spare = v * f;
        this.hasSpare = true;
      }
      if (z >= -2 && z <= 2) return z;
    }
  }
}

const BIAS_STD = 0.02;
const NORM_WEIGHT_SPREAD = 0.1;

/**
 * Random tensors for a parameter list (names, shapes, kinds), the same for the same list and
 * seed: matrices and embeddings ~ truncated normal with options.std (default 0.02), biases
 * (Linear, Conv, LayerNorm) ~ truncated normal with std 0.02, LayerNorm weights uniform in
 * [0.9, 1.1]; drawn in the list's order. `caller` names the public function in errors.
 */
export function syntheticTensors(params: readonly ViTParameter[], seed: number, options: SyntheticViTOptions, caller: string): Map<string, Tensor> {
  const std = options.std ?? 0.02;
  if (typeof std !== 'number' || !(std >= 0) || !Number.isFinite(std)) {
    throw new RangeError(`${caller}: options.std must be a finite number >= 0, received ${String(std)}`);
  }
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    throw new TypeError(`${caller}: seed must be an integer, received ${String(seed)}`);
  }
  const rng = new Mulberry32(seed);
  const weights = new Map<string, Tensor>();
  for (const p of params) {
    const data = new Float32Array(shapeSize(p.shape));
    switch (p.kind) {
      case 'matrix':
      case 'embedding':
        for (let i = 0; i < data.length; i++) data[i] = std * rng.truncatedNormal();
        break;
      case 'bias':
      case 'norm-bias':
        for (let i = 0; i < data.length; i++) data[i] = BIAS_STD * rng.truncatedNormal();
        break;
      case 'norm-weight':
        for (let i = 0; i < data.length; i++) data[i] = 1 + NORM_WEIGHT_SPREAD * (2 * rng.uniform() - 1);
        break;
    }
    weights.set(p.name, new Tensor(data, p.shape));
  }
  return weights;
}

/**
 * Random ViTForImageClassification weights with Hugging Face's names and shapes (see the file's
 * header), the same for the same config and seed. Realistic scales: Linear/Conv weights, the
 * class token and position embeddings ~ truncated normal with std 0.02 (Hugging Face's
 * initializer_range); biases (Linear, Conv, LayerNorm) ~ truncated normal with std 0.02;
 * LayerNorm weights uniform in [0.9, 1.1].
 */
export function syntheticViTWeights(config: HfViTConfig, seed: number, options: SyntheticViTOptions = {}): Map<string, Tensor> {
  return syntheticTensors(vitParameters(config), seed, options, 'syntheticViTWeights');
}
