/**
 * The class token row: h[i, 0, :] = row for every item i of h [items, N, C]. The blocks update h
 * in place, so every run of a program writes it again.
 */
import { addArgs } from '../ops/add';
import type { TensorLike } from '../tensor';
import type { Program } from './program';

export function emitClassTokens(program: Program, h: Float32Array, items: number, tokens: number, row: Float32Array): void {
  const c = row.length;
  const zeros = new Float32Array(c);
  const broadcast = (data: Float32Array): TensorLike => ({ data, shape: [items, c], strides: [0, 1] });
  const { args } = addArgs(broadcast(row), broadcast(zeros), { out: { data: h, shape: [items, c], strides: [tokens * c, 1] } });
  program.add('add', args);
}
