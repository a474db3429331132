/**
 * Running one native op call: errors from the addon become TesseraErrors; the async form
 * attaches the caller's stack (the native work runs on another thread and has none).
 */
import { fromNative } from '../errors';

export function callSync<A, R = void>(run: (args: A) => R, args: A): R {
  try {
    return run(args);
  } catch (error) {
    throw fromNative(error);
  }
}

export async function callAsync<A>(run: (args: A) => Promise<void>, args: A): Promise<void> {
  // Drop "Error" and this function's own frame: the stack starts at the op's entry point.
  const callerStack = new Error().stack?.split('\n').slice(2).join('\n');
  try {
    await run(args);
  } catch (error) {
    throw fromNative(error, callerStack);
  }
}
