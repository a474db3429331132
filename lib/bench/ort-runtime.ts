/** onnxruntime-node, loaded on demand: the baselines are optional and tessera never needs it. */
import type * as Ort from 'onnxruntime-node';

export type OrtModule = typeof Ort;

export type OrtStatus = { available: true; version: string } | { available: false; reason: string };

let cached: OrtModule | undefined;

/** The onnxruntime-node module; throws when it is not installed or does not load here. */
export function loadOrt(): OrtModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached ??= require('onnxruntime-node') as OrtModule;
  return cached;
}

/** Whether onnxruntime-node can be required, with its version or the reason it cannot. */
export function ortStatus(): OrtStatus {
  try {
    return { available: true, version: loadOrt().env.versions.node ?? 'unknown' };
  } catch (error) {
    return { available: false, reason: (error as Error).message.split('\n')[0] };
  }
}
