/**
 * Tensors in GPU memory. toDevice(tensor, { dtype, device }) copies a host tensor to a CUDA
 * device (fp32 rounded to fp16 / bf16, nearest even, when asked); deviceTensor.toHost() copies it
 * back as an fp32 Tensor. The memory is freed by dispose() or, failing that, when the
 * DeviceTensor is garbage-collected; an asynchronous call that uses it keeps it alive until it
 * settles. The copies are synchronous (they block the calling thread while they run).
 */
import { requireCuda } from './backends';
import { ArgumentError } from './errors';
import type { DeviceDtype, DeviceHandle, NativeCudaBinding } from './native';
import { callSync } from './ops/call';
import { checkOneOf, checkOptions, checkTensor, describeShape } from './ops/validate';
import type { TensorLike } from './tensor';
import { Tensor, contiguousStrides, rowMajorData, shapeSize } from './tensor';

export type { DeviceDtype } from './native';

export const DEVICE_DTYPES: readonly DeviceDtype[] = ['float32', 'float16', 'bfloat16'];

export interface ToDeviceOptions {
  /** Element type in device memory; default 'float32'. */
  dtype?: DeviceDtype;
  /** CUDA device index (see backends().cuda.devices); default the first one. */
  device?: number;
}

/** A row-major tensor in the memory of one CUDA device. Made by toDevice() and by ops. */
export class DeviceTensor {
  readonly shape: readonly number[];
  /** Row-major strides (device tensors are always contiguous). */
  readonly strides: readonly number[];
  readonly dtype: DeviceDtype;
  /** The CUDA device index. */
  readonly device: number;
  readonly #binding: NativeCudaBinding;
  #handle: DeviceHandle | null;

  /** @internal Wraps a handle from the CUDA addon. */
  constructor(binding: NativeCudaBinding, handle: DeviceHandle, shape: readonly number[], dtype: DeviceDtype, device: number) {
    this.#binding = binding;
    this.#handle = handle;
    this.shape = [...shape];
    this.strides = contiguousStrides(shape);
    this.dtype = dtype;
    this.device = device;
  }

  /** @internal Uninitialised device memory for an op's result. */
  static allocate(binding: NativeCudaBinding, shape: readonly number[], dtype: DeviceDtype, device: number): DeviceTensor {
    const handle = callSync((a) => binding.allocate(a), { count: shapeSize(shape), dtype, device });
    return new DeviceTensor(binding, handle, shape, dtype, device);
  }

  get size(): number {
    return shapeSize(this.shape);
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  /** @internal The live handle; an ArgumentError naming `param` once disposed. */
  handle(param: string): DeviceHandle {
    if (this.#handle === null) {
      throw new ArgumentError(param, `expected a live DeviceTensor, received one that was disposed (shape ${describeShape(this.shape)}, ${this.dtype})`);
    }
    return this.#handle;
  }

  /** Copies the tensor to host memory as fp32 (exact: every fp16 / bf16 value is an fp32 value). */
  toHost(): Tensor {
    const out = Tensor.zeros(this.shape);
    callSync((a) => this.#binding.download(a), { handle: this.handle('tensor'), out: out.data });
    return out;
  }

  /** Frees the device memory now (after any running call that uses it); repeating is a no-op. */
  dispose(): void {
    if (this.#handle === null) return;
    this.#binding.release(this.#handle);
    this.#handle = null;
  }
}

/** The index of a CUDA device in `devices`, or the first one when `device` is undefined. */
export function resolveDevice(device: unknown, devices: readonly { index: number }[]): number {
  if (device === undefined) return devices[0].index;
  if (!devices.some((d) => d.index === device)) {
    const known = devices.map((d) => d.index).join(', ');
    throw new ArgumentError('device', `expected the index of a CUDA device (${known}), received ${String(device)}`);
  }
  return device as number;
}

/** Copies a host tensor (any rank, any strides) to a CUDA device as a row-major DeviceTensor. */
export function toDevice(tensor: TensorLike, options?: ToDeviceOptions): DeviceTensor {
  const shape: unknown = (tensor as { shape?: unknown } | null)?.shape;
  const dims = Array.isArray(shape) ? shape.map((_, i) => `d${i}`) : ['...'];
  const strides = checkTensor('tensor', tensor, dims);
  const opts = checkOptions<ToDeviceOptions>(options);
  const dtype = checkOneOf('dtype', opts.dtype ?? 'float32', DEVICE_DTYPES);
  if (opts.device !== undefined && !(Number.isSafeInteger(opts.device) && opts.device >= 0)) {
    throw new ArgumentError('device', `expected a CUDA device index (an integer >= 0), received ${String(opts.device)}`);
  }
  const { binding, devices } = requireCuda('toDevice');
  const device = resolveDevice(opts.device, devices);
  const data = rowMajorData({ data: tensor.data, shape: tensor.shape, strides });
  const handle = callSync((a) => binding.upload(a), { data, dtype, device });
  return new DeviceTensor(binding, handle, tensor.shape, dtype, device);
}

export function isDeviceTensor(value: unknown): value is DeviceTensor {
  return value instanceof DeviceTensor;
}
