import { types } from 'node:util';

/** Every error tessera throws is a TesseraError with a stable `code`. */
export class TesseraError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A bad argument: names the parameter, what was expected and what was received. */
export class ArgumentError extends TesseraError {
  readonly param: string;

  constructor(param: string, message: string) {
    super('ERR_TESSERA_INVALID_ARGUMENT', `${param}: ${message}`);
    this.param = param;
  }
}

/** The request is valid but this CPU, build or platform cannot run it. */
export class UnsupportedError extends TesseraError {
  constructor(message: string, code = 'ERR_TESSERA_UNSUPPORTED') {
    super(code, message);
  }
}

/** CUDA was asked for but cannot run here; `reason` is backends().cuda.reason. */
export class CudaUnavailableError extends UnsupportedError {
  readonly reason: string;

  constructor(what: string, reason: string) {
    super(`${what}: CUDA is not available: ${reason}`, 'ERR_TESSERA_CUDA_UNAVAILABLE');
    this.reason = reason;
  }
}

/**
 * A file (safetensors, ONNX, config.json, an image) is malformed or unsafe to read: names the
 * file and what was wrong. Files are untrusted input; nothing is allocated before it is checked.
 */
export class FormatError extends TesseraError {
  readonly file: string;

  constructor(file: string, message: string) {
    super('ERR_TESSERA_BAD_FILE', `${file}: ${message}`);
    this.file = file;
  }
}

/** The native addon could not be loaded; `attempts` lists every path tried and why. */
export class NativeLoadError extends TesseraError {
  readonly attempts: { path: string; reason: string }[];

  constructor(attempts: { path: string; reason: string }[]) {
    const lines = attempts.map((a) => `  - ${a.path}: ${a.reason}`).join('\n');
    super(
      'ERR_TESSERA_NATIVE_LOAD',
      `tessera: could not load the native addon. Tried:\n${lines}\n` +
        'Build it (needs cmake and a C++17 compiler): in a project that depends on tessera, ' +
        '`npm rebuild tessera` (npm 11 skips the install scripts of dependencies until ' +
        '`npm install-scripts approve tessera`); in a checkout of tessera, `npm run build`.',
    );
    this.attempts = attempts;
  }
}

/** Turns an error thrown by the addon into the matching TesseraError class; tessera's own errors pass through. */
export function fromNative(error: unknown, callerStack?: string): Error {
  if (error instanceof TesseraError) return error; // thrown by tessera itself (e.g. NativeLoadError)
  // isNativeError, not instanceof: the addon creates errors in the realm it was loaded in,
  // which differs from the caller's under vm contexts (jest).
  if (!types.isNativeError(error)) return new TesseraError('ERR_TESSERA_INTERNAL', String(error));
  const code = (error as { code?: unknown }).code;
  let converted: Error;
  if (code === 'ERR_TESSERA_INVALID_ARGUMENT') {
    // Native messages start with the parameter they are about: "keyLengths[1]: ...".
    const param = /^([\w.]+(?:\[\d+\])?):/.exec(error.message)?.[1] ?? 'args';
    converted = new ArgumentError(param, error.message.slice(param === 'args' ? 0 : param.length + 1).trim());
  } else if (code === 'ERR_TESSERA_UNSUPPORTED') {
    converted = new UnsupportedError(error.message);
  } else if (typeof code === 'string' && code.startsWith('ERR_TESSERA_')) {
    converted = new TesseraError(code, error.message);
  } else {
    return error;
  }
  if (callerStack) converted.stack = `${converted.name}: ${converted.message}\n${callerStack}`;
  return converted;
}
