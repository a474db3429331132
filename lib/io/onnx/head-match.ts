/**
 * What follows the final LayerNorm of a ViT-style encoder in an ONNX graph:
 * - a classifier: the class token (Gather or Slice of token 0, checked by probing) -> a linear
 *   layer whose result is the graph output (Hugging Face ViTForImageClassification, timm,
 *   torchvision);
 * - or the normalized tokens are themselves a graph output (ViTModel's last_hidden_state), with
 *   an optional pooler: class token -> linear -> Tanh -> graph output (pooler_output).
 */
import type { OnnxNode } from './graph';
import type { LinearMatch } from './linear-match';
import { nextLinear } from './linear-match';
import { LAYOUT_OPS, probeChain, startProbe, walkLayout } from './layout-probe';
import type { MatchContext } from './match-context';

export type HeadMatch =
  | { readonly kind: 'classifier'; readonly classifier: LinearMatch; readonly output: string }
  | { readonly kind: 'encoder'; readonly lastHiddenState: string; readonly pooler: LinearMatch | null; readonly poolerOutput?: string };

/**
 * Follows the class-token selection that starts with `first` (a consumer of `tokens`
 * [B, N, hidden]) and checks it picks token 0 of each item: the resulting [B, hidden] tensor.
 */
function classTokenOf(ctx: MatchContext, tokens: string, first: OnnxNode): string {
  const { g, folder } = ctx;
  const [items, count, hidden] = folder.shape(tokens);
  const fail = (): Error => g.unexpected(tokens, 'the class token (Gather or Slice of token 0)');
  if (!LAYOUT_OPS.has(first.opType) || first.inputs[0] !== tokens) throw fail();
  const rest = walkLayout(g, first.outputs[0]);
  const probe = probeChain(startProbe(tokens, [items, count, hidden], folder), [{ node: first, output: 0 }, ...rest.chain], folder);
  const picksClass = probe.source.length === items * hidden && probe.source.every((src, at) => src === Math.floor(at / hidden) * count * hidden + (at % hidden));
  if (!picksClass) throw fail();
  return rest.end;
}

/** The graph output a tensor is (directly or through Identity), or undefined. */
function graphOutput(ctx: MatchContext, tensor: string): string | undefined {
  const { chain, end } = walkLayout(ctx.g, tensor);
  return ctx.g.isGraphOutput(end) && chain.every((s) => s.node.opType === 'Identity') ? end : undefined;
}

/** The head after the final LayerNorm's output `normalized` ([B, N, hidden]). */
export function matchHead(ctx: MatchContext, normalized: string): HeadMatch {
  const { g } = ctx;
  const lastHiddenState = graphOutput(ctx, normalized);
  const selections = g.dataConsumers(normalized).filter((n) => n.opType !== 'Identity');
  if (selections.length > 1) throw g.unexpected(normalized, 'the class token (Gather or Slice of token 0)');
  if (selections.length === 0) {
    if (!lastHiddenState) throw g.unexpected(normalized, 'the class token or the graph output');
    return { kind: 'encoder', lastHiddenState, pooler: null };
  }
  const cls = classTokenOf(ctx, normalized, selections[0]);
  const linear = nextLinear(g, cls, lastHiddenState ? 'the pooler' : 'the classifier');
  if (!lastHiddenState) {
    const output = graphOutput(ctx, linear.output);
    if (!output) throw g.unexpected(linear.output, 'the graph output (logits)');
    return { kind: 'classifier', classifier: linear, output };
  }
  const tanh = g.next(linear.output, ['Tanh']);
  const poolerOutput = graphOutput(ctx, tanh.outputs[0]);
  if (!poolerOutput) throw g.unexpected(tanh.outputs[0], 'the graph output (pooler_output)');
  return { kind: 'encoder', lastHiddenState, pooler: linear, poolerOutput };
}
