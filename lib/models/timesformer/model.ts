/**
 * Hugging Face's TimesformerModel and TimesformerForVideoClassification on tessera's kernels.
 *   pixel values [B, T, C, H, W] -> TimesformerModel: last_hidden_state [items, N, hidden];
 *   TimesformerForVideoClassification: logits = classifier(layernorm(class token)) per item:
 *   [B, labels], or for space_only, exactly as Hugging Face's forward, one row per frame
 *   [B*T, labels] (option frameAverage: the mean over each clip's frames, [B, labels]).
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
import type { TimesformerConfig } from './config';
import { TimesformerEncoder } from './encoder';
import { sampleFrames } from './frames';

export interface VideoClassifyOptions {
  /** Classes per clip, best first (default 5). */
  topK?: number;
}

abstract class TimesformerBase<Out> extends PixelModel<Out> {
  protected readonly inputLayout = ['B', 'T', 'C', 'H', 'W'] as const;

  constructor(
    readonly config: TimesformerConfig,
    readonly encoder: TimesformerEncoder,
  ) {
    super();
  }

  protected checkShape(shape: readonly number[]): void {
    const [, , channels, height, width] = shape;
    const [ph, pw] = this.config.patchSize;
    if (channels !== this.config.numChannels) {
      throw new ArgumentError('pixelValues', `expected [B, T, C, H, W] with C = ${this.config.numChannels} (num_channels), received [${shape.join(', ')}]`);
    }
    if (height < ph || width < pw) {
      throw new ArgumentError('pixelValues', `expected frames of at least one patch (${ph}x${pw}), received [${shape.join(', ')}]`);
    }
  }
}

export class TimesformerModel extends TimesformerBase<Tensor> {
  /** Weights named like Hugging Face's TimesformerModel (`embeddings.*`, `encoder.*`, `layernorm.*`). */
  static load(config: TimesformerConfig, weights: Weights): TimesformerModel {
    return new TimesformerModel(config, TimesformerEncoder.load(config, weights));
  }

  protected prepare(shape: readonly number[]): PreparedPass<Tensor> {
    const { program, input, pixels } = this.newPass(shape);
    const { buffers, items, tokens } = this.encoder.emit(program, pixels);
    const h = this.config.hiddenSize;
    const rows = items * tokens;
    const last = new Float32Array(rows * h);
    this.encoder.norm.emit(program, rowsView(buffers.h, rows, h), rowsView(last, rows, h));
    return { program, input, read: () => new Tensor(last.slice(), [items, tokens, h]) };
  }
}

export class TimesformerForVideoClassification extends TimesformerBase<Tensor> {
  constructor(
    config: TimesformerConfig,
    encoder: TimesformerEncoder,
    readonly classifier: Linear,
    /** How classify() turns frames into pixel values. */
    readonly preprocessor?: ImageProcessorConfig,
  ) {
    super(config, encoder);
  }

  /** Weights named like Hugging Face's TimesformerForVideoClassification (`timesformer.*`, `classifier.*`). */
  static load(config: TimesformerConfig, weights: Weights, preprocessor?: ImageProcessorConfig): TimesformerForVideoClassification {
    const labels = config.labels.length;
    if (labels === 0) throw new ArgumentError('config', 'a classifier needs id2label or num_labels');
    const classifier = Linear.load(weights, 'classifier', config.hiddenSize, labels);
    return new TimesformerForVideoClassification(config, TimesformerEncoder.load(config, weights.scope('timesformer.')), classifier, preprocessor);
  }

  get labels(): readonly string[] {
    return this.config.labels;
  }

  protected prepare(shape: readonly number[]): PreparedPass<Tensor> {
    const { program, input, pixels } = this.newPass(shape);
    const { buffers, items, tokens } = this.encoder.emit(program, pixels);
    return { program, input, read: emitClassLogits(program, this.encoder.norm, this.classifier, buffers.h, items, tokens) };
  }

  /** Logits per clip [B, labels]: for space_only the mean of its frames' logits, else forward()'s. */
  async clipLogits(pixels: Tensor): Promise<Tensor> {
    const logits = await this.forward(pixels);
    const clips = pixels.shape[0];
    if (logits.shape[0] === clips) return logits;
    const n = logits.shape[1];
    const frames = logits.shape[0] / clips;
    const out = new Float32Array(clips * n);
    for (let i = 0; i < logits.shape[0]; i++) {
      for (let j = 0; j < n; j++) out[Math.floor(i / frames) * n + j] += logits.data[i * n + j] / frames;
    }
    return new Tensor(out, [clips, n]);
  }

  /**
   * Classifies clips, each a list of frames (paths, encoded Buffers, raw pixels) sampled to
   * num_frames (see frames.ts), preprocessed like the model's preprocessor_config.json: per clip,
   * the topK classes with softmax scores (space_only: of the frame-averaged logits).
   */
  async classify(clips: readonly (readonly ImageInput[])[], options: VideoClassifyOptions = {}): Promise<ClassScore[][]> {
    this.checkLive('classify');
    const k = checkTopK(options.topK ?? 5);
    if (!Array.isArray(clips) || clips.length === 0) throw new ArgumentError('clips', 'expected a non-empty array of clips (arrays of frames)');
    const frames = clips.map((clip, i) => sampleFrames<ImageInput>(clip, this.config.numFrames, `clips[${i}]`));
    const pixels = await preprocessImages(frames.flat(), this.preprocessor);
    const [, c, height, width] = pixels.shape;
    const video = new Tensor(pixels.data, [clips.length, this.config.numFrames, c, height, width]);
    return topKPerRow(await this.clipLogits(video), this.labels, k);
  }
}
