/**
 * A minimal PNG encoder (PNG spec, ISO/IEC 15948): 8-bit grayscale or RGB, no interlacing,
 * every scanline with filter type 0 (None), the image data zlib-compressed and split into IDAT
 * chunks of at most 1 MiB (a chunk's length must stay below 2^31).
 *   file  = signature, IHDR, IDAT..., IEND
 *   chunk = length (u32 BE, of data) | type (4 ASCII bytes) | data | CRC-32 of type and data (u32 BE)
 */
import { deflateSync } from 'node:zlib';

export interface PngImage {
  width: number;
  height: number;
  /** 1: grayscale, 3: RGB. */
  channels: 1 | 3;
  /** height rows of width * channels bytes, top row first. */
  pixels: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The largest width or height PNG allows (2^31 - 1). */
const MAX_DIMENSION = 0x7fffffff;
const COLOR_TYPE = { 1: 0, 3: 2 } as const;
const FILTER_NONE = 0;
const IDAT_BYTES = 1 << 20;

/** The table of the reflected CRC-32 (polynomial 0xEDB88320) for each byte value. */
const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of `bytes` (as in PNG, zlib and gzip). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function header(image: PngImage): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(image.width, 0);
  ihdr.writeUInt32BE(image.height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOR_TYPE[image.channels];
  // compression 0 (deflate), filter method 0, interlace 0 (none): bytes 10..12 stay 0
  return ihdr;
}

/** The scanlines, each prefixed with its filter type byte. */
function scanlines(image: PngImage): Buffer {
  const rowBytes = image.width * image.channels;
  const out = Buffer.alloc(image.height * (rowBytes + 1));
  for (let y = 0; y < image.height; y++) {
    out[y * (rowBytes + 1)] = FILTER_NONE;
    out.set(image.pixels.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  }
  return out;
}

/** The compressed stream cut into consecutive IDAT chunks. */
function dataChunks(compressed: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < compressed.length; at += IDAT_BYTES) chunks.push(chunk('IDAT', compressed.subarray(at, at + IDAT_BYTES)));
  return chunks;
}

function checkImage({ width, height, channels, pixels }: PngImage): void {
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_DIMENSION) {
      throw new RangeError(`png: ${name} must be an integer in [1, ${MAX_DIMENSION}], received ${value}`);
    }
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`png: channels must be 1 or 3, received ${channels}`);
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`png: expected ${width} * ${height} * ${channels} = ${width * height * channels} pixel bytes, received ${pixels.length}`);
  }
}

/** Encodes an 8-bit grayscale or RGB image as a PNG file's bytes. */
export function encodePng(image: PngImage): Buffer {
  checkImage(image);
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header(image)),
    ...dataChunks(deflateSync(scanlines(image))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
