/**
 * ONNX graphs of vision transformers as Hugging Face models: mapOnnxModel recognizes the graph
 * (vit-graph.ts for image encoders, timesformer-graph.ts for video), and returns config.json,
 * the weights under Hugging Face names and a default preprocessor_config.json, so that the
 * same model classes as for a Hugging Face folder can load it. A graph that does not match says
 * which node broke the pattern and what was expected there (FormatError naming the file).
 */
import type { OnnxModelMapping } from './hf-config';
import { GraphIndex } from './graph-index';
import type { OnnxModel, OnnxReadOptions } from './model';
import { readOnnxModel } from './model';
import { mapTimesformerGraph } from './timesformer-graph';
import { mapViTGraph } from './vit-graph';

/** Maps a decoded model: images [B, C, H, W] as ViT, videos [B, T, C, H, W] as TimeSformer. */
export function mapOnnxModel(model: OnnxModel): OnnxModelMapping {
  const g = new GraphIndex(model);
  const inputs = g.realInputs();
  if (inputs.length !== 1) throw g.fail(`expected one input (pixel_values), found ${inputs.length}: ${inputs.map((i) => `'${i.name}'`).join(', ')}`);
  const [input] = inputs;
  if (input.hasShape && input.dims.length === 4) return mapViTGraph(g, input);
  if (input.hasShape && input.dims.length === 5) return mapTimesformerGraph(g, input);
  throw g.fail(`input '${input.name}': expected images [B, C, H, W] or videos [B, T, C, H, W], found ${input.hasShape ? `[${input.dims.join(', ')}]` : 'no shape'}`);
}

/** Reads an ONNX file (see readOnnxModel for the checks) and maps it (see mapOnnxModel). */
export function loadOnnxWeights(file: string, options: OnnxReadOptions = {}): OnnxModelMapping {
  return mapOnnxModel(readOnnxModel(file, options));
}
