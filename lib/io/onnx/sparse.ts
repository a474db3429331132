/**
 * ONNX SparseTensorProto (GraphProto.sparse_initializer), densified:
 *
 *   values  a TensorProto of shape [NNZ], named after the sparse tensor
 *   indices an INT64 TensorProto of shape [NNZ] (linear indices into the dense tensor) or
 *           [NNZ, rank] (one coordinate per dim), ascending without repeats
 *   dims    the dense shape
 *
 * values and indices go through the same validator as every other tensor (tensor.ts). When the
 * model is read, the counts are checked against each other, the dense size is taken from the
 * byte budget, and the indices are read and checked (in range, strictly ascending). The values
 * are read, and the dense tensor allocated, by `toFloat32()` / `toInt64()`.
 */
import { Tensor } from '../../tensor';
import type { Fail, ProtoReader } from './protobuf-reader';
import { VarintList } from './protobuf-reader';
import type { DenseTensor, OnnxTensorRef, TensorContext } from './tensor';
import { OnnxDataType, checkDims, checkedByteCount, decodeTensor, dimsText, namedFail } from './tensor';

const SPARSE = { values: 1, indices: 2, dims: 3 } as const;

/** A sparse initializer: dense dims, the values, and their positions in the dense tensor. */
class SparseTensor implements OnnxTensorRef {
  readonly name: string;
  readonly dataType: OnnxDataType;
  readonly dims: readonly number[];
  readonly size: number;
  private readonly values: DenseTensor;
  /** The row-major position of each value in the dense tensor, ascending. */
  private readonly positions: Float64Array;

  constructor(values: DenseTensor, dims: readonly number[], size: number, positions: Float64Array) {
    this.name = values.name;
    this.dataType = values.dataType;
    this.dims = dims;
    this.size = size;
    this.values = values;
    this.positions = positions;
  }

  toFloat32(): Tensor {
    const values = this.values.float32Values();
    const dense = new Float32Array(this.size);
    this.positions.forEach((position, i) => (dense[position] = values[i]));
    return new Tensor(dense, this.dims);
  }

  toInt64(): BigInt64Array | number[] {
    const values = this.values.toInt64();
    if (Array.isArray(values)) {
      const dense = new Array<number>(this.size).fill(0);
      this.positions.forEach((position, i) => (dense[position] = values[i]));
      return dense;
    }
    const dense = new BigInt64Array(this.size);
    this.positions.forEach((position, i) => (dense[position] = values[i]));
    return dense;
  }
}

/** The number of values, from values.dims = [NNZ]. */
function valueCount(values: DenseTensor, fail: Fail): number {
  if (values.dims.length !== 1) throw fail(`values must have dims [NNZ], received ${dimsText(values.dims)}`);
  return values.dims[0];
}

/**
 * The dense row-major position of each value, from linear indices ([NNZ]) or coordinates
 * ([NNZ, rank]), checked to be in range and strictly ascending.
 */
function densePositions(indices: DenseTensor, dims: readonly number[], nnz: number, size: number, fail: Fail): Float64Array {
  if (indices.dataType !== OnnxDataType.INT64) throw fail('indices must be INT64');
  const linear = indices.dims.length === 1 && indices.dims[0] === nnz;
  const coordinates = indices.dims.length === 2 && indices.dims[0] === nnz && indices.dims[1] === dims.length;
  if (!linear && !coordinates) {
    throw fail(`indices have dims ${dimsText(indices.dims)}; with ${nnz} values and ${dims.length} dims they must be [${nnz}] or [${nnz}, ${dims.length}]`);
  }
  const raw = indices.int64Values();
  const rank = linear ? 1 : dims.length;
  const positions = new Float64Array(nnz);
  for (let i = 0; i < nnz; i++) {
    let position = 0;
    for (let j = 0; j < rank; j++) {
      const index = raw[i * rank + j];
      const bound = linear ? size : dims[j];
      const label = linear ? `indices[${i}]` : `indices[${i}, ${j}]`;
      if (index < 0n || index >= BigInt(bound)) throw fail(`${label} = ${index} is outside [0, ${bound})`);
      position = position * bound + Number(index);
    }
    if (i > 0 && position <= positions[i - 1]) throw fail(`indices[${i}] is not after indices[${i - 1}] (indices must ascend without repeats)`);
    positions[i] = position;
  }
  return positions;
}

/** Reads and validates one SparseTensorProto (see the module comment). */
export function decodeSparseTensor(r: ProtoReader, ctx: TensorContext): OnnxTensorRef {
  let values: DenseTensor | undefined;
  let indices: DenseTensor | undefined;
  const dimList = new VarintList();
  while (r.next()) {
    if (r.field === SPARSE.values) values = decodeTensor(r.message('values'), ctx);
    else if (r.field === SPARSE.indices) indices = decodeTensor(r.message('indices'), ctx);
    else if (r.field === SPARSE.dims) r.repeatedVarint('dims', dimList);
    else r.skip();
  }
  const fail = namedFail(r, values?.name ?? '');
  if (!values) throw fail('has no values');
  if (!indices) throw fail('has no indices');
  const dims = checkDims(dimList.toBigInt64Array(), fail);
  const size = checkedByteCount(dims, 1, 'dims', fail);
  const nnz = valueCount(values, fail);
  if (nnz > size) throw fail(`has ${nnz} values but dims ${dimsText(dims)} hold only ${size}`);
  ctx.budget.take(checkedByteCount(dims, values.elementBytes, 'the dense tensor', fail), fail);
  return new SparseTensor(values, dims, size, densePositions(indices, dims, nnz, size, fail));
}
