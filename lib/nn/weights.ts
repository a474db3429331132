/**
 * Where a model reads its parameters: any source of named fp32 tensors (a safetensors file, the
 * weights mapped out of an ONNX graph, a Map in memory). Every read checks the shape and names
 * the file and the parameter when something is missing or wrong.
 */
import { FormatError } from '../errors';
import { describeShape } from '../ops/validate';
import type { Tensor } from '../tensor';

export interface WeightSource {
  /** Where the tensors come from (a path, or a label), used in error messages. */
  readonly file: string;
  has(name: string): boolean;
  tensor(name: string): Tensor;
  /** Files only: the same tensors read into memory without blocking the event loop (loadModel). */
  preload?(): Promise<WeightSource>;
}

/** A WeightSource over tensors in memory. */
export function mapWeights(tensors: ReadonlyMap<string, Tensor>, label = '<weights>'): WeightSource {
  return {
    file: label,
    has: (name) => tensors.has(name),
    tensor: (name) => {
      const t = tensors.get(name);
      if (!t) throw new FormatError(label, `missing tensor '${name}'`);
      return t;
    },
  };
}

/** Reads parameters under a name prefix (e.g. 'vit.') with shape checks. */
export class Weights {
  constructor(
    readonly source: WeightSource,
    readonly prefix = '',
  ) {}

  /** The same source under `prefix + sub`. */
  scope(sub: string): Weights {
    return new Weights(this.source, this.prefix + sub);
  }

  has(name: string): boolean {
    return this.source.has(this.prefix + name);
  }

  /** The tensor `prefix + name`, which must have exactly `shape`. */
  get(name: string, shape: readonly number[]): Tensor {
    const full = this.prefix + name;
    if (!this.source.has(full)) {
      throw new FormatError(this.source.file, `missing tensor '${full}' (expected shape ${describeShape([...shape])})`);
    }
    const t = this.source.tensor(full);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new FormatError(
        this.source.file,
        `tensor '${full}': expected shape ${describeShape([...shape])}, received ${describeShape([...t.shape])}`,
      );
    }
    return t;
  }

  /** Like get, or null when the tensor is absent. */
  optional(name: string, shape: readonly number[]): Tensor | null {
    return this.has(name) ? this.get(name, shape) : null;
  }
}
