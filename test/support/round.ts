/**
 * fp32 values rounded to fp16 / bf16 (round to nearest even, overflow to Infinity): the values
 * a device tensor of that dtype holds. Written from the formats' definitions, independent of
 * lib/ and the addon.
 */
import type { DeviceDtype } from '../../lib';

const word = new Float32Array(1);
const bits = new Uint32Array(word.buffer);

export function roundToBFloat16(x: number): number {
  if (Number.isNaN(x)) return x;
  word[0] = x;
  const b = bits[0];
  bits[0] = (b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000; // ties to even on the kept bits
  return word[0];
}

export function roundToFloat16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity; // 65504 + half an ulp rounds up (to even)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (Math.max(e, -14) - 10); // 10 fraction bits; subnormals below 2^-14
  const y = a / ulp;
  let r = Math.floor(y);
  const rest = y - r;
  if (rest > 0.5 || (rest === 0.5 && r % 2 === 1)) r++;
  return Math.sign(x) * r * ulp;
}

export function roundTo(values: ArrayLike<number>, dtype: DeviceDtype): Float32Array {
  const round = dtype === 'float16' ? roundToFloat16 : dtype === 'bfloat16' ? roundToBFloat16 : (x: number) => x;
  return Float32Array.from(values, round);
}
