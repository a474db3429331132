/** Helpers shared by the ViT and TimeSformer graph walks: concrete input dims, where the encoder ends, one value per config field. */
import type { OnnxValueInfo } from './graph';
import type { GraphIndex } from './graph-index';
import type { MatchContext } from './match-context';

/** The batch size the graphs are folded and probed at (2, so that batch and head axes cannot be confused). */
export const PROBE_BATCH = 2;

/**
 * The input's dims for folding: fixed dims as they are, symbolic ones from `defaults` (the batch
 * dim from PROBE_BATCH); FormatError when a symbolic dim has no default.
 */
export function concreteDims(g: GraphIndex, input: OnnxValueInfo, defaults: readonly (number | undefined)[]): number[] {
  if (!input.hasShape || input.dims.length !== defaults.length + 1) {
    throw g.fail(`input '${input.name}': expected rank ${defaults.length + 1}, found ${input.hasShape ? `[${input.dims.join(', ')}]` : 'no shape'}`);
  }
  return input.dims.map((d, i) => {
    if (typeof d === 'number' && d > 0) return d;
    const value = i === 0 ? PROBE_BATCH : defaults[i - 1];
    if (value === undefined) throw g.fail(`input '${input.name}': dim ${i} is symbolic${d ? ` ('${d}')` : ''} and cannot be inferred from the weights`);
    return value;
  });
}

/** The side of the square grid `patches` positions form, or undefined when it is not square. */
export function squareSide(patches: number): number | undefined {
  const side = Math.round(Math.sqrt(patches));
  return side * side === patches ? side : undefined;
}

/** Whether a LayerNorm's output ends the encoder: a graph output, or read only by token selections. */
export function encoderEnds(ctx: MatchContext, normalized: string): boolean {
  const consumers = ctx.g.dataConsumers(normalized);
  return ctx.g.isGraphOutput(normalized) || consumers.every((n) => ['Gather', 'Slice', 'Identity'].includes(n.opType));
}

/** The one value every layer has for a config field; FormatError listing them when they differ. */
export function agreeing<T>(values: readonly T[], what: string, fail: (message: string) => Error): T {
  const distinct = [...new Set(values)];
  if (distinct.length === 0) throw fail(`expected at least one transformer layer before the final LayerNorm`);
  if (distinct.length > 1) throw fail(`the layers have different ${what} (${distinct.join(', ')}); a Hugging Face config has one value for all layers`);
  return distinct[0];
}
