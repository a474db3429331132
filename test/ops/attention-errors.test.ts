/**
 * Argument errors of attention() / attentionSync(): each bad argument gives an ArgumentError
 * (code ERR_TESSERA_INVALID_ARGUMENT) whose `param` names the parameter and whose message says
 * what was expected and what was received. attentionSync throws; attention never throws
 * synchronously, it returns a rejected promise. The raw binding's own checks keep direct
 * callers from reading or writing out of bounds: they throw JS errors, never crash.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

import type { AttentionOptions, TensorLike } from '../../lib';
import { ArgumentError, TesseraError, attention, attentionSync } from '../../lib';
import type { NativeAttentionArgs } from '../../lib/native';
import { candidatePaths, native } from '../../lib/native';
import { randomFloat32 } from '../reference/attention';

const B = 2;
const N = 5;
const H = 2;
const D = 8;

function tensor(shape: number[], extra: Partial<{ data: unknown; strides: unknown }> = {}): TensorLike {
  const size = shape.reduce((a, b) => a * b, 1);
  return { data: randomFloat32(Math.max(size, 0), 7), shape, ...extra } as TensorLike;
}

const good = (): TensorLike => tensor([B, N, H, D]);

interface ErrorCase {
  name: string;
  q?: TensorLike;
  k?: TensorLike;
  v?: TensorLike;
  options?: unknown;
  param: string;
  /** Pieces the message must contain: what was expected and what was received. */
  message: (string | RegExp)[];
}

const CASES: ErrorCase[] = [
  // ranks
  { name: 'q of rank 3', q: tensor([B, 197, 12]), param: 'q', message: ['expected shape [B, N, H, D]', 'received [2, 197, 12]'] },
  { name: 'k of rank 5', k: tensor([B, N, 3, H, D]), param: 'k', message: ['expected shape [B, N, H, D]', 'received [2, 5, 3, 2, 8]'] },
  { name: 'v of rank 1', v: tensor([B * N * H * D]), param: 'v', message: ['expected shape [B, N, H, D]', 'received [160]'] },
  { name: 'shape not an array', q: { data: new Float32Array(160), shape: '2,5,2,8' } as unknown as TensorLike, param: 'q', message: ['expected shape [B, N, H, D]', 'received 2,5,2,8'] },
  // B, H, D mismatches between q, k, v
  { name: 'k batch differs', k: tensor([3, N, H, D]), param: 'k', message: ["expected [2, Nk, 2, 8] to match q's B, H, D", 'received [3, 5, 2, 8]'] },
  { name: 'k heads differ', k: tensor([B, N, 3, D]), param: 'k', message: ["expected [2, Nk, 2, 8] to match q's B, H, D", 'received [2, 5, 3, 8]'] },
  { name: 'k head dim differs', k: tensor([B, N, H, 16]), param: 'k', message: ["expected [2, Nk, 2, 8] to match q's B, H, D", 'received [2, 5, 2, 16]'] },
  { name: 'v sequence differs from k', v: tensor([B, N + 1, H, D]), param: 'v', message: ['expected [2, 5, 2, 8] (the shape of k)', 'received [2, 6, 2, 8]'] },
  { name: 'v head dim differs', v: tensor([B, N, H, 4]), param: 'v', message: ['expected [2, 5, 2, 8] (the shape of k)', 'received [2, 5, 2, 4]'] },
  { name: 'v batch differs', v: tensor([1, N, H, D]), param: 'v', message: ['expected [2, 5, 2, 8] (the shape of k)', 'received [1, 5, 2, 8]'] },
  // data
  { name: 'data a plain array', q: tensor([B, N, H, D], { data: Array.from({ length: 160 }, () => 0) }), param: 'q', message: ['expected data to be a Float32Array', 'received Array'] },
  { name: 'data a Float64Array', k: tensor([B, N, H, D], { data: new Float64Array(160) }), param: 'k', message: ['expected data to be a Float32Array', 'received Float64Array'] },
  { name: 'data missing', v: { shape: [B, N, H, D] } as unknown as TensorLike, param: 'v', message: ['expected data to be a Float32Array', 'received undefined'] },
  { name: 'q null', q: null as unknown as TensorLike, param: 'q', message: ['expected a tensor { data: Float32Array, shape: [B, N, H, D] }', 'received null'] },
  { name: 'q a number', q: 3 as unknown as TensorLike, param: 'q', message: ['expected a tensor', 'received number'] },
  { name: 'data shorter than the shape', q: tensor([B, N, H, D], { data: new Float32Array(159) }), param: 'q', message: ['shape [2, 5, 2, 8] with strides [80, 16, 8, 1] needs 160 elements', 'data has 159'] },
  // dims
  { name: 'negative dim', q: tensor([B, -1, H, D], { data: new Float32Array(160) }), param: 'q', message: ['expected N (dim 1) to be a positive integer', 'received -1'] },
  { name: 'fractional dim', k: tensor([B, 2.5, H, D], { data: new Float32Array(160) }), param: 'k', message: ['expected N (dim 1) to be a positive integer', 'received 2.5'] },
  { name: 'zero dim', v: tensor([B, N, 0, D], { data: new Float32Array(160) }), param: 'v', message: ['expected H (dim 2) to be a positive integer', 'received 0'] },
  { name: 'NaN dim', q: { data: new Float32Array(160), shape: [NaN, N, H, D] }, param: 'q', message: ['expected B (dim 0) to be a positive integer', 'received NaN'] },
  { name: 'head dim 257 > 256', q: tensor([1, 2, 1, 257]), k: tensor([1, 3, 1, 257]), v: tensor([1, 3, 1, 257]), param: 'q', message: ['expected [B, N, H, D] with D <= 256', 'received [1, 2, 1, 257]'] },
  // strides
  { name: 'strides out of bounds', q: tensor([B, N, H, D], { strides: [80, 16, 8, 2] }), param: 'q', message: ['with strides [80, 16, 8, 2] needs 167 elements', 'data has 160'] },
  { name: 'huge strides', k: tensor([B, N, H, D], { strides: [2 ** 52, 16, 8, 1] }), param: 'k', message: ['needs', 'data has 160'] },
  { name: 'negative stride', q: tensor([B, N, H, D], { strides: [80, 16, -8, 1] }), param: 'q', message: ['expected 4 non-negative integer strides', 'received [80, 16, -8, 1]'] },
  { name: 'fractional stride', v: tensor([B, N, H, D], { strides: [80, 16, 8, 0.5] }), param: 'v', message: ['expected 4 non-negative integer strides', 'received [80, 16, 8, 0.5]'] },
  { name: 'too few strides', k: tensor([B, N, H, D], { strides: [16, 8, 1] }), param: 'k', message: ['expected 4 non-negative integer strides', 'received [16, 8, 1]'] },
  { name: 'too many strides', q: tensor([B, N, H, D], { strides: [80, 16, 8, 1, 1] }), param: 'q', message: ['expected 4 non-negative integer strides', 'received [80, 16, 8, 1, 1]'] },
  // keyLengths
  { name: 'keyLengths too short', options: { keyLengths: [5] }, param: 'keyLengths', message: ['expected 2 entries (one per batch)', 'received 1'] },
  { name: 'keyLengths too long', options: { keyLengths: [5, 5, 5] }, param: 'keyLengths', message: ['expected 2 entries (one per batch)', 'received 3'] },
  { name: 'keyLengths negative', options: { keyLengths: [5, -1] }, param: 'keyLengths', message: ['expected keyLengths[1] to be an integer in [0, 5]', 'received -1'] },
  { name: 'keyLengths > Nk', options: { keyLengths: [6, 5] }, param: 'keyLengths', message: ['expected keyLengths[0] to be an integer in [0, 5]', 'received 6'] },
  { name: 'keyLengths fractional', options: { keyLengths: [2.5, 5] }, param: 'keyLengths', message: ['expected keyLengths[0] to be an integer in [0, 5]', 'received 2.5'] },
  { name: 'keyLengths NaN', options: { keyLengths: [5, NaN] }, param: 'keyLengths', message: ['expected keyLengths[1] to be an integer in [0, 5]', 'received NaN'] },
  { name: 'keyLengths not an array', options: { keyLengths: 5 }, param: 'keyLengths', message: ['expected an array of 2 integers', 'received 5'] },
  { name: 'keyLengths null', options: { keyLengths: null }, param: 'keyLengths', message: ['expected an array of 2 integers', 'received null'] },
  // scale, causal, isa, threads
  { name: 'scale NaN', options: { scale: NaN }, param: 'scale', message: ['expected a finite float32 number', 'received NaN'] },
  { name: 'scale Infinity', options: { scale: Infinity }, param: 'scale', message: ['expected a finite float32 number', 'received Infinity'] },
  { name: 'scale -Infinity', options: { scale: -Infinity }, param: 'scale', message: ['expected a finite float32 number', 'received -Infinity'] },
  { name: 'scale a string', options: { scale: '0.5' }, param: 'scale', message: ['expected a finite float32 number', 'received 0.5'] },
  { name: 'causal a string', options: { causal: 'yes' }, param: 'causal', message: ['expected a boolean', 'received string'] },
  { name: 'isa unknown', options: { isa: 'sse4' }, param: 'isa', message: ["expected one of 'auto', 'scalar', 'avx2', 'avx512'", 'received sse4'] },
  { name: 'isa wrong case', options: { isa: 'AVX2' }, param: 'isa', message: ["expected one of 'auto', 'scalar', 'avx2', 'avx512'", 'received AVX2'] },
  { name: 'isa a number', options: { isa: 2 }, param: 'isa', message: ["expected one of 'auto'", 'received 2'] },
  { name: 'threads 0', options: { threads: 0 }, param: 'threads', message: ['expected a positive integer', 'received 0'] },
  { name: 'threads 1.5', options: { threads: 1.5 }, param: 'threads', message: ['expected a positive integer', 'received 1.5'] },
  { name: 'threads negative', options: { threads: -2 }, param: 'threads', message: ['expected a positive integer', 'received -2'] },
  { name: 'threads NaN', options: { threads: NaN }, param: 'threads', message: ['expected a positive integer', 'received NaN'] },
  { name: 'threads a string', options: { threads: '2' }, param: 'threads', message: ['expected a positive integer', 'received 2'] },
  // options itself
  { name: 'options a number', options: 5, param: 'options', message: ['expected an object', 'received number'] },
  { name: 'options a string', options: 'causal', param: 'options', message: ['expected an object', 'received string'] },
  { name: 'options null', options: null, param: 'options', message: ['expected an object', 'received null'] },
  { name: 'options true', options: true, param: 'options', message: ['expected an object', 'received boolean'] },
];

function callArgs(c: ErrorCase): [TensorLike, TensorLike, TensorLike, AttentionOptions | undefined] {
  return [
    'q' in c ? (c.q as TensorLike) : good(),
    'k' in c ? (c.k as TensorLike) : good(),
    'v' in c ? (c.v as TensorLike) : good(),
    c.options as AttentionOptions | undefined,
  ];
}

function expectArgumentError(error: unknown, c: Pick<ErrorCase, 'param' | 'message'>): void {
  if (!(error instanceof ArgumentError)) {
    const e = error as { name?: string; code?: string; message?: string } | undefined;
    throw new Error(`expected an ArgumentError for '${c.param}', received ${e?.name} (code ${e?.code}): ${e?.message}`);
  }
  expect(error).toBeInstanceOf(TesseraError);
  const e = error as ArgumentError;
  expect(e.name).toBe('ArgumentError');
  expect(e.code).toBe('ERR_TESSERA_INVALID_ARGUMENT');
  expect(e.param).toBe(c.param);
  expect(e.message.startsWith(`${c.param}: `)).toBe(true);
  for (const piece of c.message) {
    if (typeof piece === 'string') expect(e.message).toContain(piece);
    else expect(e.message).toMatch(piece);
  }
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, but it returned');
}

describe('attentionSync throws ArgumentError', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectArgumentError(
      thrownBy(() => attentionSync(...callArgs(c))),
      c,
    );
  });
});

describe('attention rejects with ArgumentError and never throws synchronously', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = attention(...callArgs(c));
    }).not.toThrow();
    expect(promise).toBeInstanceOf(Promise);
    const error = await (promise as Promise<unknown>).then(
      () => {
        throw new Error('expected the promise to reject, but it resolved');
      },
      (e: unknown) => e,
    );
    expectArgumentError(error, c);
  });
});

describe('validation gaps', () => {
  // Strides that are not an array at all: a JS caller's mistake that must still be an
  // ArgumentError naming the tensor, not a TypeError from spreading a non-iterable.
  test.each([
    ['a number', 5],
    ['null', null],
  ])('strides %s -> ArgumentError', (_name, strides) => {
    const q = tensor([B, N, H, D], { strides });
    expectArgumentError(
      thrownBy(() => attentionSync(q, good(), good())),
      { param: 'q', message: ['expected 4 non-negative integer strides'] },
    );
  });

  // 1e39 is a finite double but not a finite float32: the kernel would see scale = inf.
  test('a scale beyond float32 range is an ArgumentError naming scale', () => {
    expectArgumentError(
      thrownBy(() => attentionSync(good(), good(), good(), { scale: 1e39 })),
      { param: 'scale', message: ['finite'] },
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('the raw native binding checks its arguments (JS errors, no crash)', () => {
  function rawArgs(overrides: Partial<NativeAttentionArgs> = {}): NativeAttentionArgs {
    const size = B * N * H * D;
    const strides = [N * H * D, H * D, D, 1];
    return {
      q: randomFloat32(size, 1),
      k: randomFloat32(size, 2),
      v: randomFloat32(size, 3),
      out: new Float32Array(size),
      lse: new Float32Array(B * H * N),
      keyLengths: Int32Array.from([N, N]),
      batch: B,
      seqQ: N,
      seqK: N,
      heads: H,
      headDim: D,
      qStrides: strides,
      kStrides: strides,
      vStrides: strides,
      outStrides: strides,
      scale: 1 / Math.sqrt(D),
      causal: false,
      isa: 'auto',
      threads: 0,
      ...overrides,
    };
  }

  const RAW_CASES: [string, Partial<NativeAttentionArgs>, RegExp][] = [
    ['q strides out of bounds', { qStrides: [80, 16, 8, 2] }, /^q: shape and strides reach element 166 but the data has 160 elements/],
    ['k strides out of bounds', { kStrides: [80, 17, 8, 1] }, /^k: shape and strides reach element 163 but the data has 160 elements/],
    ['v strides out of bounds', { vStrides: [1000, 16, 8, 1] }, /^v: shape and strides reach element/],
    ['out strides out of bounds', { outStrides: [80, 16, 9, 1] }, /^out: shape and strides reach element/],
    ['strides whose extent overflows 64 bits', { seqQ: 2 ** 20, qStrides: [0, 2 ** 53 - 1, 0, 0] }, /^q: strides overflow/],
    ['negative strides', { kStrides: [80, -16, 8, 1] }, /^kStrides\[1\]: expected an integer >= 0/],
    ['too few strides', { vStrides: [16, 8, 1] }, /^vStrides: expected an array of 4 integers/],
    ['shape larger than the data', { seqK: 6 }, /^k: shape and strides reach element 175 but the data has 160 elements/],
    ['lse too short', { lse: new Float32Array(3) }, /^lse: expected B \* H \* Nq elements/],
    ['keyLengths of the wrong type', { keyLengths: new Float32Array([5, 5]) as unknown as Int32Array }, /^keyLengths: expected a Int32Array/],
    ['keyLengths of the wrong length', { keyLengths: Int32Array.from([5]) }, /^keyLengths: expected B elements/],
    ['keyLengths beyond Nk', { keyLengths: Int32Array.from([5, 6]) }, /^keyLengths\[1\]: expected a length in \[0, 5\]/],
    ['data not a Float32Array', { q: new Float64Array(160) as unknown as Float32Array }, /^q: expected a Float32Array/],
    ['head dim beyond 256', { headDim: 300, qStrides: [0, 0, 0, 0], kStrides: [0, 0, 0, 0], vStrides: [0, 0, 0, 0], outStrides: [0, 0, 0, 0] }, /^headDim: expected D in \[1, 256\], received 300/],
    ['unknown isa', { isa: 'neon' as NativeAttentionArgs['isa'] }, /^isa: expected 'auto', 'scalar', 'avx2' or 'avx512', received 'neon'/],
    ['fractional batch', { batch: 1.5 }, /^batch: expected an integer >= 1/],
  ];

  test.each(RAW_CASES)('attentionSync: %s', (_name, overrides, message) => {
    const args = rawArgs(overrides);
    const before = Float32Array.from(args.out);
    expect(() => native().attentionSync(args)).toThrow(message);
    expect(args.out).toEqual(before); // nothing was written
  });

  // Unpacking errors throw before any work is queued; the kernel's own parameter checks
  // (head dim, keyLengths values) run on the worker and reject the promise.
  test.each(RAW_CASES)('attentionAsync: %s throws or rejects with a JS error', async (_name, overrides, message) => {
    const args = rawArgs(overrides);
    let error: unknown;
    try {
      await native().attentionAsync(args);
    } catch (e) {
      error = e;
    }
    expect((error as Error | undefined)?.message).toMatch(message);
  });

  test('errors carry the tessera code', () => {
    const error = thrownBy(() => native().attentionSync(rawArgs({ qStrides: [80, 16, 8, 2] })));
    expect((error as { code?: unknown }).code).toBe('ERR_TESSERA_INVALID_ARGUMENT');
  });

  test('a non-object argument throws', () => {
    expect(() => native().attentionSync(5 as unknown as NativeAttentionArgs)).toThrow(/^args: expected an object/);
  });

  test('after all of that the binding still works', () => {
    const args = rawArgs();
    native().attentionSync(args);
    expect(Array.from(args.out).every(Number.isFinite)).toBe(true);
    expect(Array.from(args.out).some((x) => x !== 0)).toBe(true);
  });

  test('in a separate process, out-of-bounds calls end in JS errors and a clean exit', () => {
    const addon = candidatePaths().find((p) => fs.existsSync(p));
    expect(addon).toBeDefined();
    const script = `
      const binding = require(${JSON.stringify(addon)});
      const f = (n) => new Float32Array(n);
      const base = { q: f(160), k: f(160), v: f(160), out: f(160), lse: null, keyLengths: null,
        batch: 2, seqQ: 5, seqK: 5, heads: 2, headDim: 8, qStrides: [80, 16, 8, 1],
        kStrides: [80, 16, 8, 1], vStrides: [80, 16, 8, 1], outStrides: [80, 16, 8, 1],
        scale: 0.35, causal: false, isa: 'auto', threads: 0 };
      const bad = [{ qStrides: [80, 16, 8, 1e6] }, { outStrides: [1e9, 16, 8, 1] },
        { kStrides: [80, 2 ** 53 - 1, 8, 1] }, { seqK: 2 ** 40 }, { out: f(1) }];
      let thrown = 0;
      for (const b of bad) {
        for (const fn of [binding.attentionSync, binding.attentionAsync]) {
          try { fn({ ...base, ...b }); } catch (e) { if (e instanceof Error) thrown++; }
        }
      }
      console.log('thrown', thrown);
    `;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.signal).toBeNull();
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('thrown 10');
    expect(child.status).toBe(0);
  });
});
