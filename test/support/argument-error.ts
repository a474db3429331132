/** Asserts that `run` throws an ArgumentError about `param` whose message contains every piece. */
import { ArgumentError } from '../../lib/errors';

export function expectArgumentError(run: () => unknown, param: string, pieces: readonly string[]): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ArgumentError);
  expect((error as ArgumentError).param).toBe(param);
  for (const piece of pieces) expect((error as Error).message).toContain(piece);
}
