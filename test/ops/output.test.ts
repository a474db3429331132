/**
 * outputTensor (lib/ops/output.ts) and the addon's adviseHugePages: large op outputs get
 * transparent-huge-page advice before their first write, and that changes nothing but speed.
 */
import { existsSync } from 'node:fs';
import { attentionSync, linearSync, packWeight } from '../../lib';
import { native } from '../../lib/native';
import { HUGE_PAGE_MIN_BYTES, outputTensor } from '../../lib/ops/output';
import { randomTensor } from '../reference/attention';

const THP = process.platform === 'linux' && existsSync('/sys/kernel/mm/transparent_hugepage/enabled');

describe('adviseHugePages', () => {
  (THP ? test : test.skip)('is given for an array spanning a whole aligned 2 MiB page (Linux with THP)', () => {
    expect(native().adviseHugePages({ data: new Float32Array(HUGE_PAGE_MIN_BYTES / 4) })).toBe(true);
  });

  test('is not given for an array with no whole aligned 2 MiB page', () => {
    expect(native().adviseHugePages({ data: new Float32Array(1 << 18) })).toBe(false);
    expect(native().adviseHugePages({ data: new Float32Array(0) })).toBe(false);
  });

  test('rejects anything but { data: Float32Array }', () => {
    for (const bad of [undefined, 3, {}, { data: new Float64Array(4) }, { data: [1, 2] }]) {
      expect(() => native().adviseHugePages(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_TESSERA_INVALID_ARGUMENT' }));
    }
  });
});

describe('outputTensor', () => {
  test.each([[[3, 5]], [[2, 1024, 1024]]])('is a zero tensor of shape %j', (shape) => {
    const t = outputTensor(shape);
    expect(t.shape).toEqual(shape);
    expect(t.data.length).toBe(shape.reduce((a, b) => a * b, 1));
    expect(t.data.every((x) => x === 0)).toBe(true);
  });

  test('ops writing a new advised output give the same bits as into a reused buffer', () => {
    // out [1, 8192, 4, 64] fp32 = 8 MiB: at HUGE_PAGE_MIN_BYTES, so the new output is advised.
    const shape = [1, 8192, 4, 64];
    const q = { data: Float32Array.from({ length: 8192 * 4 * 64 }, (_, i) => Math.sin(i)), shape };
    const [k, v] = [2, 3].map((seed) => randomTensor([1, 19, 4, 64], seed));
    const fresh = attentionSync(q, k, v);
    expect(fresh.data.byteLength).toBeGreaterThanOrEqual(HUGE_PAGE_MIN_BYTES);
    const reused = { data: new Float32Array(fresh.data.length).fill(Number.NaN), shape };
    attentionSync(q, k, v, { out: reused });
    expect(Buffer.from(fresh.data.buffer).equals(Buffer.from(reused.data.buffer))).toBe(true);

    const x = { data: Float32Array.from({ length: 4096 * 64 }, (_, i) => Math.cos(i)), shape: [4096, 64] };
    const w = packWeight(randomTensor([512, 64], 5), 'out_in');
    const y = linearSync(x, w);
    const y2 = { data: new Float32Array(4096 * 512), shape: [4096, 512] };
    linearSync(x, w, { out: y2 });
    expect(Buffer.from(y.data.buffer).equals(Buffer.from(y2.data.buffer))).toBe(true);
  });
});
