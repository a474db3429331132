/**
 * backends(): what this process can run on. The CPU part comes from the CPU addon; the CUDA part
 * from the optional CUDA addon and the NVIDIA driver, asked once per process (GPUs do not come
 * and go while it runs).
 */
import { CudaUnavailableError } from './errors';
import type { CpuInfo, CudaDeviceInfo, NativeCudaBinding } from './native';
import { cudaNative, native } from './native';

export type CudaBackend = { available: true; devices: CudaDeviceInfo[] } | { available: false; reason: string };

export interface Backends {
  cpu: CpuInfo;
  /**
   * available: GPUs of compute capability 8.0 or later and a driver to run them; otherwise
   * reason says why not (binary built without CUDA, CUDA addon failed to load, no CUDA driver,
   * CUDA driver too old, no CUDA device, no supported CUDA device).
   */
  cuda: CudaBackend;
}

type CudaState = { available: true; devices: CudaDeviceInfo[]; binding: NativeCudaBinding } | { available: false; reason: string };

let cudaState: CudaState | undefined;

function probeCuda(): CudaState {
  const loaded = cudaNative();
  if ('reason' in loaded) return { available: false, reason: loaded.reason };
  const info = loaded.binding.cudaInfo();
  if (info.reason !== null) return { available: false, reason: info.reason };
  return { available: true, devices: info.devices, binding: loaded.binding };
}

function cuda(): CudaState {
  cudaState ??= probeCuda();
  return cudaState;
}

/** The CUDA part of backends() (a copy: callers may keep or change it). */
export function cudaBackend(): CudaBackend {
  const state = cuda();
  return state.available ? { available: true, devices: state.devices.map((d) => ({ ...d })) } : { available: false, reason: state.reason };
}

/** The CPU features and thread pool, and whether (or why not) CUDA can be used. */
export function backends(): Backends {
  return { cpu: native().cpuInfo(), cuda: cudaBackend() };
}

/** The CUDA addon and its devices for `what` (e.g. 'attention'), or a CudaUnavailableError saying why not. */
export function requireCuda(what: string): { binding: NativeCudaBinding; devices: readonly CudaDeviceInfo[] } {
  const state = cuda();
  if (!state.available) throw new CudaUnavailableError(what, state.reason);
  return state;
}
