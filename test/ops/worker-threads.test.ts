/**
 * The addon is context-aware: it loads in worker_threads too, and kernels running there give
 * the same results as on the main thread, also while both threads use the shared pool.
 */
import { Worker } from 'node:worker_threads';

import { attention, attentionSync } from '../../lib';
import { nativePath } from '../../lib/native';
import { randomQkv } from '../reference/attention';

const addon = nativePath();

// Runs dense attention over [1, N, H, D] inputs in a worker with the raw binding; returns out.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const binding = require(workerData.addon);
const { q, k, v, n, h, d } = workerData;
const out = new Float32Array(n * h * d);
const strides = [n * h * d, h * d, d, 1];
binding.attentionAsync({ q, k, v, out, lse: null, keyLengths: null, batch: 1, seqQ: n, seqK: n,
  heads: h, headDim: d, qStrides: strides, kStrides: strides, vStrides: strides, outStrides: strides,
  scale: 1 / Math.sqrt(d), causal: false, isa: 'auto', threads: 0 })
  .then(() => parentPort.postMessage(out), (error) => parentPort.postMessage(error.message));
`;

function inWorker(data: object): Promise<Float32Array | string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: data });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

test('attention in worker threads matches the main thread, run concurrently', async () => {
  const [n, h, d] = [300, 4, 64];
  const { q, k, v } = randomQkv({ B: 1, Nq: n, Nk: n, H: h, D: d }, 3);
  const data = { addon, q: q.data, k: k.data, v: v.data, n, h, d };
  const [main, ...workers] = await Promise.all([attention(q, k, v), inWorker(data), inWorker(data)]);
  for (const result of workers) expect(result).toEqual(main.data);
});

// Many small calls at once: jobs whose last tasks are taken while other workers join them are
// where a pool can let a caller return while a worker still holds its job.
test('hundreds of concurrent small calls all settle with the sync result', async () => {
  const inputs = Array.from({ length: 300 }, (_, i) => randomQkv({ B: 1, Nq: 3 + (i % 70), Nk: 5 + (i % 90), H: 2, D: 8 }, i));
  const results = await Promise.all(inputs.map(({ q, k, v }) => attention(q, k, v, { causal: true })));
  results.forEach((result, i) => {
    const { q, k, v } = inputs[i];
    expect(result.data).toEqual(attentionSync(q, k, v, { causal: true }).data);
  });
});
