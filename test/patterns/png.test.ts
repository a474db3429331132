/** lib/io/png.ts: files that a strict independent reader accepts, with the same pixels back. */
import { crc32, encodePng } from '../../lib/io/png';
import { bitwiseCrc32, decodePng } from './png-decode';

test('crc32 gives the CRC-32 check value and agrees with a bitwise CRC', () => {
  expect(crc32(Buffer.from('123456789', 'ascii'))).toBe(0xcbf43926);
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
  expect(crc32(bytes)).toBe(bitwiseCrc32(bytes));
  expect(crc32(new Uint8Array(0))).toBe(0);
});

test('a grayscale image round-trips', () => {
  const pixels = Uint8Array.from({ length: 5 * 3 }, (_, i) => i * 17);
  const decoded = decodePng(encodePng({ width: 5, height: 3, channels: 1, pixels }));
  expect(decoded).toEqual({ width: 5, height: 3, channels: 1, pixels, chunkTypes: ['IHDR', 'IDAT', 'IEND'] });
});

test('an RGB image round-trips', () => {
  const pixels = Uint8Array.from({ length: 2 * 4 * 3 }, (_, i) => 255 - i);
  const decoded = decodePng(encodePng({ width: 2, height: 4, channels: 3, pixels }));
  expect(decoded).toMatchObject({ width: 2, height: 4, channels: 3, pixels });
});

test('large compressed data is split over several IDAT chunks', () => {
  // pseudo-random bytes hardly compress: about 1.5 MB of data, two IDAT chunks
  let state = 12345;
  const pixels = Uint8Array.from({ length: 1200 * 1250 }, () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24);
  const decoded = decodePng(encodePng({ width: 1200, height: 1250, channels: 1, pixels }));
  expect(decoded.chunkTypes).toEqual(['IHDR', 'IDAT', 'IDAT', 'IEND']);
  expect(Buffer.from(decoded.pixels).equals(Buffer.from(pixels))).toBe(true);
});

test('bad images are refused', () => {
  const pixels = new Uint8Array(4);
  expect(() => encodePng({ width: 2, height: 2, channels: 1, pixels: new Uint8Array(3) })).toThrow('expected 2 * 2 * 1 = 4 pixel bytes, received 3');
  expect(() => encodePng({ width: 0, height: 4, channels: 1, pixels })).toThrow('width must be an integer');
  expect(() => encodePng({ width: 4, height: 1, channels: 2 as 1, pixels })).toThrow('channels must be 1 or 3');
});
