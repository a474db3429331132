/**
 * add() / addSync() against the fp64 reference (test/reference/rows.ts) with the kernel rule of
 * test/tolerance.ts: the broadcasts a ViT / TimeSformer needs (position embeddings over the batch,
 * time embeddings over the patches, a bias row), a residual in place, strided views, odd sizes,
 * async, runSequence, and bad arguments.
 */
import type { AddOptions, TensorLike } from '../../lib';
import { ArgumentError, add, addSync } from '../../lib';
import { native } from '../../lib/native';
import { addArgs } from '../../lib/ops/add';
import { contiguousCopy, permutedView, randomTensor, seedFromString } from '../reference/attention';
import { referenceAdd } from '../reference/rows';
import { TOLERANCE, expectClose } from '../tolerance';
import { expectArgumentError } from '../support/argument-error';

function check(x: TensorLike, y: TensorLike, label: Record<string, unknown>, options: AddOptions = {}): void {
  const out = addSync(x, y, options);
  expect(out.shape).toEqual(x.shape);
  expectClose(contiguousCopy(out).data, referenceAdd(x, y), TOLERANCE.kernel, label);
}

describe('add: broadcasts', () => {
  test.each([1, 3, 5, 80, 768, 1000])('tokens [2, 7, %i] + position embeddings [7, C] and [1, 7, C]', (cols) => {
    const x = randomTensor([2, 7, cols], seedFromString(`x ${cols}`));
    check(x, randomTensor([7, cols], 1), { C: cols, y: '[N, C]' });
    check(x, randomTensor([1, 7, cols], 2), { C: cols, y: '[1, N, C]' });
  });

  test('a bias row [C], a per-token scalar [B, N, 1], a scalar [1]', () => {
    const x = randomTensor([3, 4, 80], 3);
    check(x, randomTensor([80], 4), { y: '[C]' });
    check(x, randomTensor([3, 4, 1], 5), { y: '[B, N, 1]' });
    check(x, randomTensor([1], 6), { y: '[1]' });
  });

  test('TimeSformer time embeddings: [B, T, N, C] + [T, 1, C]', () => {
    check(randomTensor([2, 8, 5, 96], 7), randomTensor([8, 1, 96], 8), { y: '[T, 1, C]' });
  });

  test('rank 1 and rank 2 operands', () => {
    check(randomTensor([1000], 9), randomTensor([1000], 10), { rank: 1 });
    check(randomTensor([6, 768], 11), randomTensor([768], 12), { rank: 2 });
  });
});

describe('add: layouts', () => {
  test('a residual in place: out = x, and out = y', () => {
    const x = randomTensor([2, 50, 768], 13);
    const y = randomTensor([2, 50, 768], 14);
    const ref = referenceAdd(x, y);
    expect(addSync(x, y, { out: x }).data).toBe(x.data);
    expectClose(x.data, ref, TOLERANCE.kernel, 'out = x');
    const x2 = randomTensor([2, 5, 3], 15);
    const y2 = randomTensor([2, 5, 3], 16);
    const ref2 = referenceAdd(x2, y2);
    addSync(x2, y2, { out: y2 });
    expectClose(y2.data, ref2, TOLERANCE.kernel, 'out = y');
  });

  test('strided and permuted views in, a padded out', () => {
    const x = permutedView(randomTensor([3, 5, 80], 17), [1, 0, 2], 3);
    const y = permutedView(randomTensor([5, 80], 18), [1, 0]); // transposed storage
    const out = { data: new Float32Array(3 * 5 * 96).fill(Number.NaN), shape: [3, 5, 80], strides: [5 * 96, 96, 1] };
    check(x, y, { case: 'views' }, { out });
    expectClose(contiguousCopy(out).data, referenceAdd(x, y), TOLERANCE.kernel, 'padded out');
  });

  test('many rows (split between threads) equal one thread, and async equals sync', async () => {
    const x = randomTensor([4, 197, 768], 19);
    const y = randomTensor([197, 768], 20);
    const many = addSync(x, y);
    const one = addSync(x, y, { threads: 1 });
    const later = await add(x, y);
    expect(Buffer.from(many.data.buffer).equals(Buffer.from(one.data.buffer))).toBe(true);
    expect(Buffer.from(later.data.buffer).equals(Buffer.from(one.data.buffer))).toBe(true);
    expectClose(many.data, referenceAdd(x, y), TOLERANCE.kernel, '4 x 197 x 768');
  });

  test('addArgs() builds a runSequence step', async () => {
    const x = randomTensor([2, 3, 4], 21);
    const y = randomTensor([3, 4], 22);
    const ref = referenceAdd(x, y);
    const step = addArgs(x, y, { out: x });
    await native().runSequence([{ op: 'add', args: step.args }]);
    expectClose(x.data, ref, TOLERANCE.kernel, 'runSequence');
  });
});

describe('add: bad arguments', () => {
  const x = (): TensorLike => randomTensor([2, 3, 4], 23);
  const cases: [string, () => unknown, string, string[]][] = [
    ['y does not broadcast', () => addSync(x(), randomTensor([2, 4], 1)), 'y', ['expected a shape that broadcasts to [2, 3, 4]', 'received [2, 4]']],
    ['y of higher rank than x', () => addSync(x(), randomTensor([1, 2, 3, 4], 1)), 'y', ['expected a tensor of rank 1 to 3', 'received shape [1, 2, 3, 4]']],
    ['x of rank 5', () => addSync(randomTensor([1, 1, 1, 1, 2], 1), randomTensor([2], 1)), 'x', ['expected a tensor of rank 1 to 4', 'received shape [1, 1, 1, 1, 2]']],
    ['x of rank 0', () => addSync({ data: new Float32Array(1), shape: [] }, randomTensor([1], 1)), 'x', ['expected a tensor of rank 1 to 4', 'received shape []']],
    ['y data a plain array', () => addSync(x(), { data: [1, 2, 3, 4], shape: [4] } as unknown as TensorLike), 'y', ['expected data to be a Float32Array', 'received Array']],
    ['x strides out of bounds', () => addSync({ data: new Float32Array(24), shape: [2, 3, 4], strides: [12, 4, 2] }, randomTensor([4], 1)), 'x', ['needs 27 elements', 'data has 24']],
    ['out of another shape', () => addSync(x(), randomTensor([4], 1), { out: randomTensor([2, 3, 5], 1) }), 'out', ['expected shape [2, 3, 4] (the shape of x)', 'received [2, 3, 5]']],
    ['out repeating elements', () => addSync(x(), randomTensor([4], 1), { out: { data: new Float32Array(4), shape: [2, 3, 4], strides: [0, 0, 1] } }), 'out', ['expected strides that give every element its own address', 'received [0, 0, 1]']],
    ['out overlapping the broadcast y', () => { const y = randomTensor([3, 4], 1); return addSync(x(), y, { out: { data: y.data, shape: [2, 3, 4], strides: [0, 4, 1] } }); }, 'out', ['expected strides that give every element its own address']],
    ['out shifted over x', () => { const d = new Float32Array(30); return addSync({ data: d, shape: [2, 3, 4] }, randomTensor([4], 1), { out: { data: d.subarray(1), shape: [2, 3, 4] } }); }, 'out', ['expected x or y itself (in place) or memory that overlaps neither']],
    ['threads a string', () => addSync(x(), randomTensor([4], 1), { threads: '2' as unknown as number }), 'threads', ['expected a positive integer', 'received 2']],
  ];

  test.each(cases)('%s', (_name, run, param, message) => expectArgumentError(run, param, message));

  test('add() rejects (never throws synchronously)', async () => {
    await expect(add(x(), randomTensor([5], 1))).rejects.toBeInstanceOf(ArgumentError);
  });

  test('the raw binding checks sizes, strides and buffers itself', () => {
    const good = () => ({
      x: new Float32Array(24), y: new Float32Array(4), out: new Float32Array(24), sizes: [1, 2, 3, 4],
      xStrides: [0, 12, 4, 1], yStrides: [0, 0, 0, 1], outStrides: [0, 12, 4, 1], threads: 0,
    });
    const raw = native();
    expect(() => raw.addSync({ ...good(), sizes: [2, 3, 4] })).toThrow(/^sizes: expected an array of 4 integers/);
    expect(() => raw.addSync({ ...good(), yStrides: [0, 0, 1, 1] })).toThrow(/^y: shape and strides reach element 5 but the data has 4 elements/);
    expect(() => raw.addSync({ ...good(), sizes: [1, 2, 3, 0] })).toThrow(/^args: every size must be >= 1/);
    expect(() => raw.addSync({ ...good(), outStrides: [0, 0, 4, 1] })).toThrow(/^out: expected strides that give every element its own address/);
    const shared = new Float32Array(30);
    expect(() => raw.addSync({ ...good(), x: shared, out: shared.subarray(2) })).toThrow(/^out: expected x or y itself/);
  });
});
