/**
 * The class token row: h[i, 0, :] = row for every item i of h [items, N, C]. The blocks update h
 * in place, so every run of a program writes it again.
 */
import { addArgs } from '../ops/add';
import type { TensorLike } from '../tensor';
import type { Program } from './program';

/** The class token's row as the blocks first see it: cls_token [hidden] + its position embedding [hidden]. */
export function classTokenRow(cls: Float32Array, position: Float32Array): Float32Array {
  return cls.map((x, i) => x + position[i]);
}

export function emitClassTokens(program: Program, h: Float32Array, items: number, tokens: number, row: Float32Array): void {
  const c = row.length;
  const zeros = new Float32Array(c);
  const broadcast = (data: Float32Array): TensorLike => ({ data, shape: [items, c], strides: [0, 1] });
  const { args } = addArgs(broadcast(row), broadcast(zeros), { out: { data: h, shape: [items, c], strides: [tokens * c, 1] } });
  program.add('add', args);
}
