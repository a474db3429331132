/** tessera: fast vision-transformer building blocks for Node.js. */
import type { CpuInfo } from './native';
import { native } from './native';

export { attention, attentionSync, MAX_HEAD_DIM } from './ops/attention';
export type { AttentionOptions, AttentionWithLse } from './ops/attention';
export { Tensor, contiguousStrides, shapeSize } from './tensor';
export type { TensorLike } from './tensor';
export { TesseraError, ArgumentError, UnsupportedError, NativeLoadError } from './errors';
export type { CpuInfo, IsaName } from './native';

/** What this CPU and this build support, and the thread pool's size. */
export function cpuInfo(): CpuInfo {
  return native().cpuInfo();
}
