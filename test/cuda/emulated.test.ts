/**
 * The GPU suite (gpu-suite.ts) against fake-cuda-addon.ts, loaded through the real loader
 * ($TESSERA_CUDA_NATIVE_PATH): checks the library's side of device tensors and CUDA attention
 * (argument assembly, DeviceTensor lifetimes, results and errors) on any machine. The kernels
 * themselves are checked only by gpu.test.ts and the C++ tests on a GPU.
 */
import * as path from 'node:path';

import { backends } from '../../lib';
import { gpuSuite } from './gpu-suite';

process.env.TESSERA_CUDA_NATIVE_PATH = path.join(__dirname, 'fake-cuda-addon.ts');

test('the emulated device is the CUDA backend', () => {
  expect(backends().cuda).toEqual({
    available: true,
    devices: [{ index: 0, name: 'emulated GPU', computeCapability: '9.0', memoryBytes: 2 ** 30 }],
  });
});

describe('CUDA device (emulated)', gpuSuite);
