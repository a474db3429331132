/**
 * A strict PNG reader for the tests, written from the PNG spec independently of lib/io/png.ts:
 * checks the signature, every chunk's CRC-32 (computed bit by bit, not by table), the chunk
 * order, and decodes 8-bit grayscale or RGB images whose scanlines use filter type 0.
 */
import { inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
  chunkTypes: string[];
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS_OF_COLOR_TYPE: Record<number, number> = { 0: 1, 2: 3 };

/** The CRC-32 of PNG (reflected polynomial 0xEDB88320), one bit at a time. */
export function bitwiseCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function readChunks(file: Buffer): { type: string; data: Buffer }[] {
  if (!file.subarray(0, 8).equals(Buffer.from(SIGNATURE))) throw new Error('not a PNG: bad signature');
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at);
    const type = file.toString('ascii', at + 4, at + 8);
    const data = file.subarray(at + 8, at + 8 + length);
    const crc = file.readUInt32BE(at + 8 + length);
    if (crc !== bitwiseCrc32(file.subarray(at + 4, at + 8 + length))) throw new Error(`${type}: CRC mismatch`);
    chunks.push({ type, data });
    at += 12 + length;
  }
  return chunks;
}

export function decodePng(file: Buffer): DecodedPng {
  const chunks = readChunks(file);
  const chunkTypes = chunks.map((c) => c.type);
  if (chunkTypes[0] !== 'IHDR' || chunkTypes[chunkTypes.length - 1] !== 'IEND') throw new Error(`bad chunk order ${chunkTypes.join(' ')}`);
  const ihdr = chunks[0].data;
  const [width, height] = [ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)];
  const [depth, colorType, compression, filter, interlace] = ihdr.subarray(8, 13);
  const channels = CHANNELS_OF_COLOR_TYPE[colorType];
  if (depth !== 8 || channels === undefined || compression !== 0 || filter !== 0 || interlace !== 0) throw new Error(`unsupported IHDR ${[...ihdr.subarray(8)]}`);
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const rowBytes = width * channels;
  if (raw.length !== height * (rowBytes + 1)) throw new Error(`expected ${height * (rowBytes + 1)} bytes of scanlines, received ${raw.length}`);
  const pixels = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const line = raw.subarray(y * (rowBytes + 1), (y + 1) * (rowBytes + 1));
    if (line[0] !== 0) throw new Error(`row ${y}: filter type ${line[0]}, this reader handles 0 only`);
    pixels.set(line.subarray(1), y * rowBytes);
  }
  return { width, height, channels, pixels, chunkTypes };
}
