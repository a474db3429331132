/**
 * The GPU suite (gpu-suite.ts) on a real CUDA device; skipped, with the reason, when
 * backends().cuda is unavailable (CI: nvcc but no GPU). scripts/device-check.sh runs it on a GPU
 * machine when Node is there.
 */
import { backends } from '../../lib';
import { gpuSuite } from './gpu-suite';

const cuda = backends().cuda;
if (!cuda.available) console.log(`GPU tests skipped: CUDA is not available: ${cuda.reason}`);

(cuda.available ? describe : describe.skip)('CUDA device (real GPU)', gpuSuite);
