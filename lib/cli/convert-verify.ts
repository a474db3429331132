/**
 * The check after `tessera convert`: the written folder, loaded by tessera, and the original
 * graph, run by onnxruntime-node, on the same seeded standard-normal input (batch 2), must agree
 * to the model tolerance of docs (ARCHITECTURE.md, "Tolerance policy"): per output,
 * max |diff| <= 2e-4 * max(1, max |ref|), and for logits the same top-1 class in every row.
 */
import type { OnnxValueInfo } from '../io/onnx/graph';
import type { Model } from '../models/load';
import { ViTModel } from '../models/vit/model';
import { Tensor } from '../tensor';
import { mulberry32 } from '../random';

/** The batch size of the check. */
export const VERIFY_BATCH = 2;
const RTOL = 2e-4;

/** How one output compares. */
export interface OutputComparison {
  readonly name: string;
  readonly maxDiff: number;
  readonly bound: number;
  /** Rows whose top-1 class agrees, and rows compared (logits only). */
  readonly top1?: { readonly agree: number; readonly rows: number };
  readonly ok: boolean;
}

/** The input shape to check with: the graph's dims, batch VERIFY_BATCH, symbolic dims from the config. */
export function verifyShape(input: OnnxValueInfo, config: Readonly<Record<string, unknown>>): number[] {
  const size = config.image_size;
  const [height, width] = Array.isArray(size) ? (size as number[]) : [size as number, size as number];
  const fromConfig = input.dims.length === 5 ? [config.num_frames, config.num_channels, height, width] : [config.num_channels, height, width];
  return input.dims.map((d, i) => (i === 0 ? VERIFY_BATCH : typeof d === 'number' && d > 0 ? d : (fromConfig[i - 1] as number)));
}

/** Seeded standard-normal values (mulberry32 + Box-Muller), the same on every platform. */
export function randomNormal(count: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const uniform = (): number => (next() + 1) / 4294967297;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = r * Math.sin(angle);
  }
  return out;
}

/** tessera's outputs by rank: logits or pooler_output [B, n] (rank 2), last_hidden_state (rank 3). */
async function tesseraOutputs(model: Model, pixels: Tensor): Promise<Tensor[]> {
  if (model instanceof ViTModel) {
    const out = await model.forward(pixels);
    return out.poolerOutput ? [out.lastHiddenState, out.poolerOutput] : [out.lastHiddenState];
  }
  return [await model.forward(pixels)];
}

/** The graph's outputs from onnxruntime-node, by name. */
async function onnxOutputs(file: string, inputName: string, pixels: Tensor): Promise<Map<string, { data: Float32Array; dims: readonly number[] }>> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(file);
  try {
    const result = await session.run({ [inputName]: new ort.Tensor('float32', pixels.data, [...pixels.shape]) });
    return new Map(Object.entries(result).map(([name, t]) => [name, { data: t.data as Float32Array, dims: t.dims }]));
  } finally {
    await session.release();
  }
}

function argmax(values: ArrayLike<number>, start: number, count: number): number {
  let best = start;
  for (let i = start + 1; i < start + count; i++) if (values[i] > values[best]) best = i;
  return best - start;
}

/** Compares one output; `logits` adds the top-1 check per row. */
export function compareOutput(name: string, actual: Float32Array, ref: Float32Array, rowWidth: number, logits: boolean): OutputComparison {
  let maxDiff = actual.length === ref.length ? 0 : Infinity;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxDiff = Math.max(maxDiff, Number.isNaN(actual[i]) ? Infinity : Math.abs(actual[i] - ref[i]));
  }
  const bound = RTOL * Math.max(1, maxRef);
  if (!logits) return { name, maxDiff, bound, ok: maxDiff <= bound };
  const rows = ref.length / rowWidth;
  let agree = 0;
  for (let r = 0; r < rows; r++) if (argmax(actual, r * rowWidth, rowWidth) === argmax(ref, r * rowWidth, rowWidth)) agree++;
  return { name, maxDiff, bound, top1: { agree, rows }, ok: maxDiff <= bound && agree === rows };
}

/** Runs both on the same random input of `shape` and compares every output. */
export async function verifyConversion(model: Model, file: string, input: OnnxValueInfo, shape: readonly number[], seed: number): Promise<OutputComparison[]> {
  const pixels = new Tensor(randomNormal(shape.reduce((a, b) => a * b, 1), seed), shape);
  const ours = await tesseraOutputs(model, pixels);
  const theirs = await onnxOutputs(file, input.name, pixels);
  return [...theirs].map(([name, ref]) => {
    const match = ours.find((t) => t.shape.length === ref.dims.length);
    if (!match) return { name, maxDiff: Infinity, bound: 0, ok: false };
    const width = ref.dims[ref.dims.length - 1];
    return compareOutput(name, match.data, ref.data, width, !(model instanceof ViTModel));
  });
}
