/**
 * `tessera convert <model.onnx> <out-dir>`: maps an ONNX export of a vision transformer to a
 * Hugging Face model folder (lib/io/onnx/map-model.ts), writes config.json, model.safetensors
 * and a default preprocessor_config.json, then checks the folder against onnxruntime-node
 * (convert-verify.ts) and fails when they disagree. On a terminal (or with --progress) it shows
 * the bytes of weights read (initializers and external data, as the mapper reads them) and of
 * model.safetensors written (progress.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { mapOnnxModel } from '../io/onnx/map-model';
import type { OnnxModelMapping } from '../io/onnx/hf-config';
import type { OnnxModel } from '../io/onnx/model';
import { readOnnxModel } from '../io/onnx/model';
import type { OnnxTensorRef } from '../io/onnx/tensor';
import { OnnxDataType } from '../io/onnx/tensor';
import { writeSafetensors } from '../io/safetensors';
import { loadModel } from '../models/load';
import type { Command, CommandIo } from './command';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './command';
import type { OutputComparison } from './convert-verify';
import { verifyConversion, verifyShape } from './convert-verify';
import { positiveInt } from './parse-options';
import type { Progress, ProgressTask } from './progress';
import { createProgress, startTask } from './progress';

const OPTIONS = {
  'no-verify': { type: 'boolean' },
  seed: { type: 'string' },
  force: { type: 'boolean' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The files convert writes. */
const OUTPUT_FILES = ['config.json', 'model.safetensors', 'preprocessor_config.json'];

const HELP = `Usage: tessera convert <model.onnx> <out-dir> [options]

Converts an ONNX export of a vision transformer to a Hugging Face model folder that
'tessera classify' and loadModel() read: config.json (inferred from the graph), model.safetensors
(the weights under Hugging Face names) and preprocessor_config.json (ViTImageProcessor, or
VideoMAEImageProcessor for video, at the graph's input size, mean = std = 0.5: edit it to
match the model's training). Supported: Hugging Face ViTForImageClassification and ViTModel,
torchvision and timm ViTs (class token), Hugging Face TimeSformer (divided, joint, space only).
ONNX graphs have no class names: labels are LABEL_0, LABEL_1, ...

Then it checks the folder: tessera and onnxruntime-node run the same random input (batch 2),
and for every output it prints the largest difference and, for logits, the top-1 agreement.
It exits with 1 unless max |diff| <= 2e-4 * max(1, max |onnxruntime|) and every top-1 agrees.

Options:
  --no-verify    write the folder without the check
  --seed N       seed of the check's random input (default 1)
  --force        overwrite the files in an existing folder
  --progress     report the bytes of weights read and written on stderr, also when it is not
                 a terminal (one line per 10%); on a terminal a progress bar is the default
  --no-progress  no progress bar on a terminal
  -h, --help     show this help`;

/** Refuses to overwrite the folder's files unless `force`; creates the folder. */
function prepareFolder(dir: string, force: boolean): void {
  fs.mkdirSync(dir, { recursive: true });
  const existing = OUTPUT_FILES.filter((f) => fs.existsSync(path.join(dir, f)));
  if (existing.length > 0 && !force) throw new Error(`${dir} already has ${existing.join(', ')} (use --force to overwrite)`);
}

/** Writes the folder's files (prepareFolder first), with the progress of model.safetensors. */
function writeFolder(dir: string, mapping: OnnxModelMapping, progress: Progress | null): void {
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(mapping.config, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'preprocessor_config.json'), `${JSON.stringify(mapping.preprocessor, null, 2)}\n`);
  let task: ProgressTask | undefined;
  const onProgress = (done: number, total: number): void => {
    task ??= startTask(progress, 'writing model.safetensors', total);
    task.update(done);
  };
  try {
    writeSafetensors(path.join(dir, 'model.safetensors'), mapping.weights, { format: 'pt' }, 'F32', { onProgress });
  } catch (error) {
    task?.stop();
    throw error;
  }
  task?.finish();
}

/** Bytes per element of each ONNX element type the reader supports. */
const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  [OnnxDataType.FLOAT]: 4, [OnnxDataType.INT32]: 4, [OnnxDataType.INT64]: 8, [OnnxDataType.FLOAT16]: 2, [OnnxDataType.DOUBLE]: 8, [OnnxDataType.BFLOAT16]: 2,
};

/**
 * Maps the model, reporting the bytes of initializer data (inline or external) as the mapper
 * reads them: each initializer counts once, the first time its data is converted; the task ends
 * at 100% when mapping is done (shape constants it never reads included).
 */
function mapWithProgress(model: OnnxModel, progress: Progress | null): OnnxModelMapping {
  if (!progress) return mapOnnxModel(model);
  const bytesOf = (t: OnnxTensorRef): number => t.size * (ELEMENT_BYTES[t.dataType] ?? 4);
  const total = [...model.graph.initializers.values()].reduce((sum, t) => sum + bytesOf(t), 0);
  const task = progress.start('reading weights', total);
  const seen = new Set<string>();
  let done = 0;
  const counted = (name: string, t: OnnxTensorRef): void => {
    if (seen.has(name)) return;
    seen.add(name);
    done += bytesOf(t);
    task.update(done);
  };
  const tracked = new Map<string, OnnxTensorRef>();
  for (const [name, t] of model.graph.initializers) {
    tracked.set(name, {
      name: t.name, dataType: t.dataType, dims: t.dims, size: t.size,
      toFloat32: () => {
        const value = t.toFloat32();
        counted(name, t);
        return value;
      },
      toInt64: () => {
        const value = t.toInt64();
        counted(name, t);
        return value;
      },
    });
  }
  let mapping: OnnxModelMapping;
  try {
    mapping = mapOnnxModel({ ...model, graph: { ...model.graph, initializers: tracked } });
  } catch (error) {
    task.stop();
    throw error;
  }
  task.finish();
  return mapping;
}

function describeComparison(c: OutputComparison): string {
  const top1 = c.top1 ? `, top-1 agreement ${c.top1.agree}/${c.top1.rows}` : '';
  return `  ${c.name}: max |diff| ${c.maxDiff.toExponential(2)} (bound ${c.bound.toExponential(2)})${top1}  ${c.ok ? 'ok' : 'FAILED'}`;
}

function parse(args: string[]): {
  values: { 'no-verify'?: boolean; seed?: string; force?: boolean; progress?: boolean; 'no-progress'?: boolean; help?: boolean };
  positionals: string[];
} {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function run(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) {
    io.out(HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 2) throw new UsageError('expected an ONNX file and an output folder');
  const [file, dir] = positionals;
  const seed = values.seed === undefined ? 1 : positiveInt('seed', values.seed);
  const progress = createProgress(io, values.progress === true, values['no-progress'] === true);
  const model = readOnnxModel(file);
  const mapping = mapWithProgress(model, progress);
  prepareFolder(dir, values.force === true);
  writeFolder(dir, mapping, progress);
  io.out(`${file}: ${mapping.kind}, ${String(mapping.config.num_hidden_layers)} layers, hidden ${String(mapping.config.hidden_size)} -> ${dir}`);
  if (values['no-verify']) return EXIT_OK;
  const input = model.graph.inputs.find((i) => !model.graph.initializers.has(i.name));
  if (!input) throw new Error(`${file}: the graph has no input`);
  const shape = verifyShape(input, mapping.config);
  io.out(`check against onnxruntime-node, random input [${shape.join(', ')}] (seed ${seed}):`);
  const results = await verifyConversion(await loadModel(dir), file, input, shape, seed);
  for (const r of results) io.out(describeComparison(r));
  return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILURE;
}

export const convertCommand: Command = { summary: 'convert an ONNX vision transformer to a model folder (and check it)', help: HELP, run };
