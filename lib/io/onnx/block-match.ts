/**
 * A pre-norm transformer layer in an ONNX graph (Hugging Face ViTLayer, timm Block, torchvision
 * EncoderBlock, TimeSformer's joint / space-only layer):
 *   h = x + attention(layernorm_before(x));  out = h + mlp(layernorm_after(h))
 */
import type { AttentionMatch } from './attention-match';
import { matchAttention } from './attention-match';
import { describeNode } from './graph-index';
import type { LayerNormMatch } from './layernorm-match';
import { matchLayerNorm } from './layernorm-match';
import type { MatchContext } from './match-context';
import type { MlpMatch } from './mlp-match';
import { matchMlp } from './mlp-match';

export interface BlockMatch {
  readonly before: LayerNormMatch;
  readonly attention: AttentionMatch;
  readonly after: LayerNormMatch;
  readonly mlp: MlpMatch;
  /** The layer's result. */
  readonly output: string;
}

/** The Add of a branch's result to the residual stream `skip`: its output. */
export function residualAdd(ctx: MatchContext, branch: string, skip: string, what: string): string {
  const add = ctx.g.next(branch, ['Add']);
  if ((add.inputs[0] === branch ? add.inputs[1] : add.inputs[0]) !== skip) {
    throw ctx.g.fail(`${describeNode(add)}: expected the residual ${what} + its input ${ctx.g.describeTensor(skip)}`);
  }
  return add.outputs[0];
}

/** The layer reading `x`, whose first LayerNorm `before` is already matched. */
export function matchPreNormBlock(ctx: MatchContext, x: string, before: LayerNormMatch, hidden: number): BlockMatch {
  const attention = matchAttention(ctx, before.output, hidden);
  const mid = residualAdd(ctx, attention.result, x, 'attention');
  const after = matchLayerNorm(ctx, mid, hidden);
  const mlp = matchMlp(ctx, after.output, hidden);
  return { before, attention, after, mlp, output: residualAdd(ctx, mlp.output, mid, 'MLP') };
}
