/** Class names of a Hugging Face classifier config, and top-k results over logits. */
import { ArgumentError, FormatError } from '../errors';
import type { JsonObject } from '../io/json-file';
import { jsonObject, optionalPositiveInt } from '../io/json-file';
import type { Tensor } from '../tensor';

/** One class of a classification result. */
export interface ClassScore {
  label: string;
  /** Softmax probability. */
  score: number;
  index: number;
}

/**
 * The class names in index order from `id2label` ({"0": "cat", ...}); missing ids get
 * Hugging Face's default name LABEL_<i>. Without id2label, `num_labels` LABEL_<i> names (or none).
 */
export function readLabels(obj: JsonObject, file: string): string[] {
  const raw = obj.id2label;
  if (raw === undefined || raw === null) {
    const n = optionalPositiveInt(obj, 'num_labels', file, 0);
    return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
  }
  const map = jsonObject(raw, file, 'id2label');
  const entries = Object.entries(map).map(([key, value]) => {
    const id = Number(key);
    if (!Number.isSafeInteger(id) || id < 0 || String(id) !== key || typeof value !== 'string') {
      throw new FormatError(file, `'id2label': expected entries "<index>": "<name>", received "${key}": ${JSON.stringify(value)}`);
    }
    return [id, value] as const;
  });
  const count = entries.reduce((n, [id]) => Math.max(n, id + 1), 0);
  if (count > 1_000_000) throw new FormatError(file, `'id2label': index ${count - 1} is implausibly large`);
  const labels = Array.from({ length: count }, (_, i) => `LABEL_${i}`);
  for (const [id, name] of entries) labels[id] = name;
  return labels;
}

/** Softmax over one row of logits (fp64), then the k most probable classes, best first. */
export function topK(logits: ArrayLike<number>, labels: readonly string[], k: number): ClassScore[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const exp = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i] - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return exp
    .map((e, index) => ({ index, label: labels[index] ?? `LABEL_${index}`, score: e / sum }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, k);
}

/** options.topK checked: a positive integer. */
export function checkTopK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) throw new ArgumentError('topK', `expected a positive integer, received ${String(k)}`);
  return k;
}

/** topK of every row of logits [rows, labels]. */
export function topKPerRow(logits: Tensor, labels: readonly string[], k: number): ClassScore[][] {
  const n = logits.shape[1];
  return Array.from({ length: logits.shape[0] }, (_, i) => topK(logits.data.subarray(i * n, (i + 1) * n), labels, k));
}
