/**
 * 16-bit float bits to fp32, shared by the file readers (safetensors F16/BF16, ONNX FLOAT16/
 * BFLOAT16). The bits arrive as host-order u16 values; callers have already fixed the byte order.
 */

/** The value of IEEE binary16 bits: sign, 5-bit exponent (bias 15), 10-bit fraction. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  return sign * (0x400 + fraction) * 2 ** (exponent - 25);
}

let halfTableCache: Float32Array | undefined;

/** fp32 value of every binary16 bit pattern (256 KiB, built on first use). */
function halfTable(): Float32Array {
  if (!halfTableCache) {
    halfTableCache = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) halfTableCache[h] = halfToNumber(h);
  }
  return halfTableCache;
}

/** binary16 bit patterns -> their fp32 values (exact: every binary16 value is an fp32 value). */
export function halfBitsToFloat32(bits: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** bfloat16 bit patterns -> their fp32 values (exact: the bits are an fp32's top half). */
export function bfloat16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const wide = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) wide[i] = bits[i] << 16;
  return out;
}
