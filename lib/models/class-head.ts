/**
 * The classification head of ViT-style models: logits [items, labels] = classifier(layernorm(the
 * class token of each item)). Only the class rows reach the classifier, so only they are normalized.
 */
import type { LayerNorm } from '../nn/layer-norm';
import type { Linear } from '../nn/linear';
import type { Program } from '../nn/program';
import { rowsView } from '../nn/program';
import { Tensor } from '../tensor';

/** h: [items, tokens, hidden] with the class token first; returns how to read the logits after a run. */
export function emitClassLogits(program: Program, norm: LayerNorm, classifier: Linear, h: Float32Array, items: number, tokens: number): () => Tensor {
  const hidden = classifier.inFeatures;
  const n = classifier.outFeatures;
  const cls = new Float32Array(items * hidden);
  const logits = new Float32Array(items * n);
  norm.emit(program, rowsView(h, items, hidden, tokens * hidden), rowsView(cls, items, hidden));
  classifier.emit(program, rowsView(cls, items, hidden), rowsView(logits, items, n));
  return () => new Tensor(logits.slice(), [items, n]);
}
