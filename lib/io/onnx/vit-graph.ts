/**
 * ONNX exports of ViT-style image encoders (Hugging Face ViTForImageClassification / ViTModel,
 * torchvision VisionTransformer, timm VisionTransformer with a class token) mapped to Hugging
 * Face ViT parameters and config.json:
 *
 *   pixel_values [B, C, H, W] -> patch Conv -> tokens -> Concat(class token) -> Add(positions)
 *   -> L x pre-norm layer (layernorm_before, attention, residual, layernorm_after, MLP, residual)
 *   -> final LayerNorm -> token 0 -> classifier, or last_hidden_state (+ pooler dense + Tanh)
 *
 * The walk follows the data from the input; each matcher checks its part and names the node
 * where the graph stops matching. Config values come from the graph: sizes from weight shapes,
 * heads from the attention reshapes, eps from the LayerNorms, the activation by evaluating it,
 * image_size from the position table (the square grid it holds when the graph resizes it).
 */
import type { Tensor } from '../../tensor';
import type { OnnxValueInfo } from './graph';
import type { GraphIndex } from './graph-index';
import type { BlockMatch } from './block-match';
import { matchPreNormBlock } from './block-match';
import type { HeadMatch } from './head-match';
import { matchHead } from './head-match';
import type { EncoderSummary, OnnxModelMapping } from './hf-config';
import { imagePreprocessorJson, vitConfigJson } from './hf-config';
import { hasQkvBias, putBlock, putLayerNorm, putLinear } from './hf-names';
import type { LayerNormMatch } from './layernorm-match';
import { matchLayerNorm } from './layernorm-match';
import { walkLayout } from './layout-probe';
import { agreeing, concreteDims, encoderEnds, squareSide } from './encoder-walk';
import type { MatchContext } from './match-context';
import { checkConvInput, findPatchConv, matchPatchTokens } from './patch-match';
import { checkResizedPositions, matchClassToken, matchPositions } from './position-match';
import { ShapeFolder } from './shape-fold';

/** The encoder layers from the embeddings `x` to the final LayerNorm. */
function matchLayers(ctx: MatchContext, x: string, hidden: number): { blocks: BlockMatch[]; final: LayerNormMatch } {
  const blocks: BlockMatch[] = [];
  for (let stream = x; ; stream = blocks[blocks.length - 1].output) {
    const norm = matchLayerNorm(ctx, stream, hidden);
    if (encoderEnds(ctx, norm.output)) return { blocks, final: norm };
    blocks.push(matchPreNormBlock(ctx, stream, norm, hidden));
  }
}

/** The config fields, each checked to agree over the layers. */
function summarize(ctx: MatchContext, parts: { blocks: BlockMatch[]; final: LayerNormMatch; head: HeadMatch }, sizes: Pick<EncoderSummary, 'hiddenSize' | 'patchSize' | 'imageSize' | 'numChannels'>): EncoderSummary {
  const { blocks, final, head } = parts;
  const fail = (message: string): Error => ctx.g.fail(message);
  return {
    ...sizes,
    numHiddenLayers: blocks.length,
    numAttentionHeads: agreeing(blocks.map((b) => b.attention.heads), 'attention heads', fail),
    intermediateSize: agreeing(blocks.map((b) => b.mlp.intermediateSize), 'MLP sizes', fail),
    layerNormEps: agreeing([...blocks.flatMap((b) => [b.before.eps, b.after.eps]), final.eps], 'LayerNorm epsilons', fail),
    hiddenAct: agreeing(blocks.map((b) => b.mlp.act), 'activations', fail),
    qkvBias: hasQkvBias(blocks.map((b) => b.attention)),
    numLabels: head.kind === 'classifier' ? head.classifier.weight.shape[0] : 0,
  };
}

/** Maps a ViT-style graph whose image input is `input` ([B, C, H, W]). */
export function mapViTGraph(g: GraphIndex, input: OnnxValueInfo): OnnxModelMapping {
  const conv = findPatchConv(g, input.name);
  const [hidden, channels, ph, pw] = conv.weight.shape;
  const cls = matchClassToken(g, walkLayout(g, conv.node.outputs[0]).end, hidden);
  const positions = matchPositions(g, cls.output, hidden);
  const stored = positions.table.shape[1] - 1;
  const side0 = squareSide(stored);
  const dims = concreteDims(g, input, [channels, side0 && side0 * ph, side0 && side0 * pw]);
  const ctx: MatchContext = { g, folder: new ShapeFolder(g, new Map([[input.name, dims]])) };
  checkConvInput(ctx, input.name, conv);
  const { grid } = matchPatchTokens(ctx, conv);
  const side = positions.resized ? checkResizedPositions(ctx, positions.resized, grid, hidden) : undefined;
  if (side === undefined && stored !== grid[0] * grid[1]) {
    throw g.fail(`the position table has ${stored + 1} rows, but the ${grid[0]}x${grid[1]} patch grid needs ${grid[0] * grid[1] + 1}`);
  }
  const imageSize: [number, number] = side === undefined ? [grid[0] * ph, grid[1] * pw] : [side * ph, side * pw];
  const { blocks, final } = matchLayers(ctx, positions.output, hidden);
  const head = matchHead(ctx, final.output);
  const summary = summarize(ctx, { blocks, final, head }, { hiddenSize: hidden, patchSize: [ph, pw], imageSize, numChannels: channels });
  const kind = head.kind === 'classifier' ? 'ViTForImageClassification' : 'ViTModel';
  const prefix = head.kind === 'classifier' ? 'vit.' : '';
  const weights = new Map<string, Tensor>([
    [`${prefix}embeddings.cls_token`, cls.token],
    [`${prefix}embeddings.position_embeddings`, positions.table],
    [`${prefix}embeddings.patch_embeddings.projection.weight`, conv.weight],
    [`${prefix}embeddings.patch_embeddings.projection.bias`, conv.bias],
  ]);
  blocks.forEach((b, i) => putBlock(weights, `${prefix}encoder.layer.${i}.`, b, 'separate', summary.qkvBias));
  putLayerNorm(weights, `${prefix}layernorm`, final);
  if (head.kind === 'classifier') putLinear(weights, 'classifier', head.classifier);
  else if (head.pooler) putLinear(weights, 'pooler.dense', head.pooler);
  return { config: vitConfigJson(summary, kind), weights, kind, preprocessor: imagePreprocessorJson(dims[2], dims[3], channels) };
}
