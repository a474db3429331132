/**
 * `tessera classify-video <model-dir> <frame...> [--top-k K] [--json]`: classifies one clip, given
 * as its frames in order (image files), with a TimeSformer model folder.
 */
import { loadModel } from '../models/load';
import { TimesformerForVideoClassification } from '../models/timesformer/model';
import { parseClassifyArgs, printResults } from './classify';
import type { Command, CommandIo } from './command';
import { EXIT_OK } from './command';

const HELP = `Usage: tessera classify-video <model-dir> <frame...> [options]

Classifies one video clip, given as its frames in order (JPEG, PNG, WebP, ...), with a
video-classification model folder in Hugging Face's layout (model_type timesformer). The frames
are sampled to the model's num_frames at the centres of equal segments (frames repeat when the
clip is shorter) and preprocessed like its preprocessor_config.json.

Options:
  --top-k K   classes (default 5)
  --json      print JSON: [{ input, classes: [{ label, score, index }] }]
  -h, --help  show this help`;

async function run(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseClassifyArgs(args, 'frame');
  if (!parsed) {
    io.out(HELP);
    return EXIT_OK;
  }
  const model = await loadModel(parsed.dir);
  if (!(model instanceof TimesformerForVideoClassification)) {
    throw new Error(`${parsed.dir}: not a video-classification model (model_type timesformer with a classifier)`);
  }
  const results = await model.classify([parsed.inputs], { topK: parsed.topK });
  printResults(io, [`clip of ${parsed.inputs.length} frames`], results, parsed.json);
  return EXIT_OK;
}

export const classifyVideoCommand: Command = { summary: 'classify a video clip (its frames) with a TimeSformer folder', help: HELP, run };
