/** Every engine the attention benchmark can run, by name, in table order. */
import type { Engine, EngineName } from './engine';
import { ortMhaEngine, ortPlainEngine } from './engine-ort';
import { tesseraEngine } from './engine-tessera';

export const ENGINES: Readonly<Record<EngineName, Engine>> = {
  tessera: tesseraEngine,
  'ort-mha': ortMhaEngine,
  'ort-plain': ortPlainEngine,
};

export const ENGINE_NAMES = Object.keys(ENGINES) as EngineName[];
