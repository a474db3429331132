/**
 * `mask {bits}`: an explicit Nq x Nk boolean matrix, row-major (bits[i * Nk + j]); any Nq, Nk.
 * Rows without any allowed key are fine: attention gives them zeros.
 */
import { ArgumentError } from '../errors';
import { countEntries, describeValue, isList } from './fields';
import type { PatternKind } from './kind';
import type { MaskSpec } from './types';

const TRUTHS = new Map<unknown, number>([
  [true, 1],
  [1, 1],
  [false, 0],
  [0, 0],
]);

export const mask: PatternKind<MaskSpec> = {
  fields: ['bits'],
  oneSequence: false,
  normalize(fields, ctx) {
    const param = `${ctx.path}.bits`;
    const { bits } = fields;
    const size = ctx.nq * ctx.nk;
    if (!isList(bits) || bits.length !== size) {
      const expected = `a Uint8Array or an array of booleans with Nq * Nk = ${ctx.nq} * ${ctx.nk} = ${size} entries (row-major)`;
      const received = isList(bits) ? countEntries(bits.length) : describeValue(bits);
      throw new ArgumentError(param, `expected ${expected}, received ${received}`);
    }
    const out = new Uint8Array(size);
    for (let e = 0; e < size; e++) {
      const bit = TRUTHS.get(bits[e]);
      if (bit === undefined) {
        const cell = `row ${Math.floor(e / ctx.nk)}, column ${e % ctx.nk}`;
        throw new ArgumentError(`${param}[${e}]`, `expected true, false, 1 or 0 (${cell}), received ${describeValue(bits[e])}`);
      }
      out[e] = bit;
    }
    return { type: 'mask', bits: out };
  },
  allowed: ({ bits }, _nq, nk) => (i, j) => bits[i * nk + j] === 1,
};
