/**
 * Pattern plans in GPU memory, for attention on CUDA. The CUDA addon builds its own plan from the
 * normalized spec (the CPU addon's plan handle never crosses addons) and copies it to a device.
 * A CompiledPattern's plans are cached per device (its Nq, Nk and causal are fixed), so a loop
 * uploads once per device; they are freed with the CompiledPattern (garbage collection) or by
 * its releaseDeviceMemory(). A plain Pattern is uploaded for one call and released after it.
 */
import type { DevicePatternHandle, NativeCudaBinding } from '../native';
import { callSync } from '../ops/call';
import type { CompiledPattern } from './compile';
import type { PatternSpec } from './types';

/** What a plan is built for: a normalized spec, Nq x Nk, causal, and the CUDA device index. */
export interface DevicePlanRequest {
  spec: PatternSpec;
  seqQ: number;
  seqK: number;
  causal: boolean;
  device: number;
}

/** The uploaded plans of one CompiledPattern, by device index. */
interface DevicePlans {
  binding: NativeCudaBinding;
  byDevice: Map<number, DevicePatternHandle>;
}

const cache = new WeakMap<CompiledPattern, DevicePlans>();

/** Compiles the spec's plan in the CUDA addon and copies it to the device (a new handle). */
export function uploadDevicePlan(binding: NativeCudaBinding, request: DevicePlanRequest): DevicePatternHandle {
  const { spec, seqQ, seqK, causal, device } = request;
  return callSync((a) => binding.uploadPattern(a), { pattern: spec, seqQ, seqK, causal, device });
}

/** The compiled pattern's plan on `device`, uploaded at its first use there. */
export function cachedDevicePlan(binding: NativeCudaBinding, compiled: CompiledPattern, device: number): DevicePatternHandle {
  let plans = cache.get(compiled);
  if (!plans) {
    plans = { binding, byDevice: new Map() };
    cache.set(compiled, plans);
  }
  let handle = plans.byDevice.get(device);
  if (!handle) {
    handle = uploadDevicePlan(binding, { spec: compiled.spec, seqQ: compiled.nq, seqK: compiled.nk, causal: compiled.causal, device });
    plans.byDevice.set(device, handle);
  }
  return handle;
}

/** Frees the compiled pattern's device plans (after any running call that uses them). */
export function releaseDevicePlans(compiled: CompiledPattern): void {
  const plans = cache.get(compiled);
  if (!plans) return;
  cache.delete(compiled);
  for (const handle of plans.byDevice.values()) plans.binding.releasePattern(handle);
}
