/**
 * Hugging Face's ViTModel and ViTForImageClassification on tessera's kernels.
 *   pixel values [B, C, H, W] -> ViTModel: last_hidden_state [B, N, hidden] and
 *   pooler_output [B, hidden] (tanh(dense(class token)), when the checkpoint has a pooler);
 *   ViTForImageClassification: logits [B, labels] = classifier(layernorm(class token)).
 */
import { ArgumentError } from '../../errors';
import { Linear } from '../../nn/linear';
import { rowsView } from '../../nn/program';
import type { Weights } from '../../nn/weights';
import type { ImageProcessorConfig } from '../../preprocess/image-config';
import type { ImageInput } from '../../preprocess/image';
import { preprocessImages } from '../../preprocess/image';
import { Tensor } from '../../tensor';
import type { ClassScore } from '../labels';
import { checkTopK, topKPerRow } from '../labels';
import { emitClassLogits } from '../class-head';
import type { PreparedPass } from '../pixel-model';
import { PixelModel } from '../pixel-model';
import type { ViTConfig } from './config';
import { ViTEncoder } from './encoder';

export interface ViTOutput {
  /** [B, N, hidden] after the final layernorm. */
  lastHiddenState: Tensor;
  /** [B, hidden], or null for a checkpoint without a pooler. */
  poolerOutput: Tensor | null;
}

export interface ClassifyOptions {
  /** Classes per image, best first (default 5). */
  topK?: number;
}

/** Pixel-model checks shared by both ViT classes. */
abstract class ViTBase<Out> extends PixelModel<Out> {
  protected readonly inputLayout = ['B', 'C', 'H', 'W'] as const;

  constructor(
    readonly config: ViTConfig,
    readonly encoder: ViTEncoder,
  ) {
    super();
  }

  protected checkShape(shape: readonly number[]): void {
    const [, channels, height, width] = shape;
    const [ph, pw] = this.config.patchSize;
    if (channels !== this.config.numChannels) {
      throw new ArgumentError('pixelValues', `expected ${this.config.numChannels} channels (num_channels), received [${shape.join(', ')}]`);
    }
    if (height < ph || width < pw) {
      throw new ArgumentError('pixelValues', `expected an image of at least one patch (${ph}x${pw}), received [${shape.join(', ')}]`);
    }
  }
}

export class ViTModel extends ViTBase<ViTOutput> {
  constructor(
    config: ViTConfig,
    encoder: ViTEncoder,
    readonly pooler: Linear | null,
  ) {
    super(config, encoder);
  }

  /** Weights named like Hugging Face's ViTModel (`embeddings.*`, `encoder.*`, `layernorm.*`, `pooler.dense.*`). */
  static load(config: ViTConfig, weights: Weights): ViTModel {
    const h = config.hiddenSize;
    const pooler = weights.has('pooler.dense.weight') ? Linear.load(weights, 'pooler.dense', h, h) : null;
    return new ViTModel(config, ViTEncoder.load(config, weights), pooler);
  }

  protected prepare(shape: readonly number[]): PreparedPass<ViTOutput> {
    const { program, input, pixels } = this.newPass(shape);
    const b = this.encoder.emit(program, pixels);
    const h = this.config.hiddenSize;
    const rows = b.batch * b.tokens;
    const last = new Float32Array(rows * h);
    this.encoder.norm.emit(program, rowsView(b.h, rows, h), rowsView(last, rows, h));
    const pooled = this.pooler ? new Float32Array(b.batch * this.pooler.outFeatures) : null;
    if (this.pooler && pooled) {
      this.pooler.emit(program, rowsView(last, b.batch, h, b.tokens * h), rowsView(pooled, b.batch, this.pooler.outFeatures));
    }
    const read = (): ViTOutput => ({
      lastHiddenState: new Tensor(last.slice(), [b.batch, b.tokens, h]),
      poolerOutput: pooled ? new Tensor(pooled.map(Math.tanh), [b.batch, pooled.length / b.batch]) : null,
    });
    return { program, input, read };
  }
}

/** `classifier` [labels, hidden] + bias. */
export function loadClassifier(config: ViTConfig, weights: Weights): Linear {
  const labels = config.labels.length;
  if (labels === 0) throw new ArgumentError('config', 'a classifier needs id2label or num_labels');
  return Linear.load(weights, 'classifier', config.hiddenSize, labels);
}

export class ViTForImageClassification extends ViTBase<Tensor> {
  constructor(
    config: ViTConfig,
    encoder: ViTEncoder,
    readonly classifier: Linear,
    /** How classify() turns images into pixel values. */
    readonly preprocessor?: ImageProcessorConfig,
  ) {
    super(config, encoder);
  }

  /** Weights named like Hugging Face's ViTForImageClassification (`vit.*`, `classifier.*`). */
  static load(config: ViTConfig, weights: Weights, preprocessor?: ImageProcessorConfig): ViTForImageClassification {
    return new ViTForImageClassification(config, ViTEncoder.load(config, weights.scope('vit.')), loadClassifier(config, weights), preprocessor);
  }

  get labels(): readonly string[] {
    return this.config.labels;
  }

  protected prepare(shape: readonly number[]): PreparedPass<Tensor> {
    const { program, input, pixels } = this.newPass(shape);
    const b = this.encoder.emit(program, pixels);
    return { program, input, read: emitClassLogits(program, this.encoder.norm, this.classifier, b.h, b.batch, b.tokens) };
  }

  /**
   * Classifies images (paths, encoded Buffers, raw pixels; one or a batch), preprocessed like
   * the model's preprocessor_config.json: per image, the topK classes with softmax scores.
   */
  async classify(images: ImageInput | readonly ImageInput[], options: ClassifyOptions = {}): Promise<ClassScore[][]> {
    this.checkLive('classify');
    const k = checkTopK(options.topK ?? 5);
    const pixels = await preprocessImages(images, this.preprocessor);
    return topKPerRow(await this.forward(pixels), this.labels, k);
  }
}
