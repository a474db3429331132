/**
 * ONNX exports of Hugging Face TimeSformer (TimesformerForVideoClassification / TimesformerModel)
 * mapped to its parameters and config.json:
 *
 *   pixel_values [B, T, C, H, W] -> as B*T images -> patch Conv -> tokens -> Concat(class token)
 *   -> Add(positions) -> [Add(time embeddings [1, T, hidden]), divided / joint only]
 *   -> L layers -> final LayerNorm -> token 0 -> classifier
 *
 * The embeddings are walked as for ViT. The layers reshuffle tokens between frames and patches
 * with many Slice / Reshape / Concat ops, so they are found by their parts instead: every
 * LayerNorm in file order, each followed by a self-attention (matched and layout-checked like
 * ViT's) or an MLP. A layer is [attention, MLP] (joint_space_time when the attention covers the
 * 1 + P*T tokens of a clip, space_only when it covers the 1 + P of a frame) or [temporal
 * attention over T frames + temporal_dense, spatial attention, MLP] (divided_space_time).
 */
import type { Tensor } from '../../tensor';
import type { AttentionMatch } from './attention-match';
import { matchAttention } from './attention-match';
import { agreeing, concreteDims, encoderEnds, squareSide } from './encoder-walk';
import type { OnnxValueInfo } from './graph';
import type { GraphIndex } from './graph-index';
import { describeNode } from './graph-index';
import type { HeadMatch } from './head-match';
import { matchHead } from './head-match';
import type { EncoderSummary, OnnxModelMapping } from './hf-config';
import { timesformerConfigJson, videoPreprocessorJson } from './hf-config';
import { hasQkvBias, putLayerNorm, putLinear, putQkv } from './hf-names';
import type { LayerNormMatch } from './layernorm-match';
import { matchLayerNorm } from './layernorm-match';
import type { LinearMatch } from './linear-match';
import { isLinearNode, nextLinear } from './linear-match';
import { walkLayout } from './layout-probe';
import type { MatchContext } from './match-context';
import type { MlpMatch } from './mlp-match';
import { matchMlp } from './mlp-match';
import { checkConvInput, findPatchConv, matchPatchTokens } from './patch-match';
import { matchClassToken, matchPositions } from './position-match';
import { ShapeFolder } from './shape-fold';
import { withDims } from './weight-math';

type AttentionType = 'divided_space_time' | 'joint_space_time' | 'space_only';

/** A LayerNorm and what it feeds. */
type NormedPart =
  | { readonly kind: 'attention'; readonly norm: LayerNormMatch; readonly attention: AttentionMatch }
  | { readonly kind: 'mlp'; readonly norm: LayerNormMatch; readonly mlp: MlpMatch }
  | { readonly kind: 'final'; readonly norm: LayerNormMatch };

interface Layer {
  readonly temporal?: { readonly norm: LayerNormMatch; readonly attention: AttentionMatch; readonly dense: LinearMatch };
  readonly spatial: { readonly norm: LayerNormMatch; readonly attention: AttentionMatch };
  readonly mlp: { readonly norm: LayerNormMatch; readonly mlp: MlpMatch };
}

/** The inputs of every LayerNorm in file order (LayerNormalization nodes, or ReduceMean + Sub expansions). */
function layerNormInputs(g: GraphIndex): string[] {
  return g.graph.nodes.flatMap((node) => {
    if (node.opType === 'LayerNormalization') return [node.inputs[0]];
    const centered = node.opType === 'ReduceMean' && g.dataConsumers(node.inputs[0]).some((n) => n.opType === 'Sub' && n.inputs[1] === node.outputs[0]);
    return centered ? [node.inputs[0]] : [];
  });
}

/** What a LayerNorm feeds: the attention (q, k, v projections), the MLP, or the head. */
function matchPart(ctx: MatchContext, input: string, hidden: number): NormedPart {
  const norm = matchLayerNorm(ctx, input, hidden);
  if (encoderEnds(ctx, norm.output)) return { kind: 'final', norm };
  const consumers = ctx.g.dataConsumers(norm.output);
  const projections = consumers.filter((n) => isLinearNode(ctx.g, n, norm.output));
  const isAttention = consumers.length === 3 || (projections.length === 1 && ctx.g.constant(projections[0].inputs[1])?.dims.includes(3 * hidden));
  if (isAttention) return { kind: 'attention', norm, attention: matchAttention(ctx, norm.output, hidden) };
  return { kind: 'mlp', norm, mlp: matchMlp(ctx, norm.output, hidden) };
}

/** The linear layer after a temporal attention's output projection (temporal_dense). */
function temporalDense(ctx: MatchContext, attention: AttentionMatch, hidden: number): LinearMatch {
  const dense = nextLinear(ctx.g, walkLayout(ctx.g, attention.result).end, 'temporal_dense');
  if (dense.weight.shape[0] !== hidden || dense.weight.shape[1] !== hidden) throw ctx.g.fail(`${describeNode(dense.node)}: expected temporal_dense [${hidden} -> ${hidden}]`);
  return dense;
}

/** Groups the parts into layers: [attention, MLP] or [temporal attention, spatial attention, MLP]. */
function groupLayers(ctx: MatchContext, parts: readonly NormedPart[], hidden: number): { layers: Layer[]; final: LayerNormMatch } {
  const layers: Layer[] = [];
  let at = 0;
  for (;;) {
    const [a, b, c] = parts.slice(at, at + 3);
    if (a?.kind === 'final') return { layers, final: a.norm };
    if (a?.kind === 'attention' && b?.kind === 'attention' && c?.kind === 'mlp') {
      layers.push({ temporal: { ...a, dense: temporalDense(ctx, a.attention, hidden) }, spatial: b, mlp: c });
      at += 3;
    } else if (a?.kind === 'attention' && b?.kind === 'mlp') {
      layers.push({ spatial: a, mlp: b });
      at += 2;
    } else {
      const found = parts.slice(at, at + 3).map((p) => p.kind).join(', ') || 'nothing';
      throw ctx.g.fail(`layer ${layers.length}: expected LayerNorms before [attention, MLP] or [temporal attention, attention, MLP], then a final LayerNorm, found ${found}`);
    }
  }
}

/** The time embeddings: the Add of a constant [1, T, hidden] other than the position table. */
function timeEmbeddings(g: GraphIndex, hidden: number, positionAdd: string): Tensor | undefined {
  const found = g.graph.nodes.flatMap((node) => {
    if (node.opType !== 'Add' || node.outputs[0] === positionAdd) return [];
    return node.inputs.flatMap((input) => {
      const c = g.constant(input);
      return c && !c.isInteger && c.dims.length === 3 && c.dims[0] === 1 && c.dims[2] === hidden ? [c.float()] : [];
    });
  });
  if (found.length > 1) throw g.fail(`expected at most one time-embedding table [1, frames, ${hidden}], found ${found.length}`);
  return found[0];
}

/** The attention type the layers show, checked against the token counts and the time embeddings. */
function attentionType(g: GraphIndex, layers: readonly Layer[], frames: number, patches: number, hasTime: boolean): AttentionType {
  const tokens = agreeing(layers.map((l) => l.spatial.attention.tokens), 'attention lengths', (m) => g.fail(m));
  const divided = layers.every((l) => l.temporal);
  if (!divided && layers.some((l) => l.temporal)) throw g.fail('some layers have temporal attention and some do not');
  const type: AttentionType = divided ? 'divided_space_time' : tokens === 1 + patches * frames && frames > 1 ? 'joint_space_time' : 'space_only';
  const expected = type === 'joint_space_time' ? 1 + patches * frames : 1 + patches;
  if (tokens !== expected) throw g.fail(`${type}: expected attention over ${expected} tokens, found ${tokens}`);
  if (divided && layers.some((l) => l.temporal?.attention.tokens !== frames)) throw g.fail(`divided_space_time: expected temporal attention over ${frames} frames`);
  if (hasTime !== (type !== 'space_only')) throw g.fail(`${type}: ${hasTime ? 'unexpected' : 'expected'} time embeddings`);
  return type;
}

function summarize(g: GraphIndex, layers: readonly Layer[], final: LayerNormMatch, head: HeadMatch, sizes: Pick<EncoderSummary, 'hiddenSize' | 'patchSize' | 'imageSize' | 'numChannels'>): EncoderSummary {
  const fail = (m: string): Error => g.fail(m);
  const attentions = layers.flatMap((l) => [l.spatial.attention, ...(l.temporal ? [l.temporal.attention] : [])]);
  const norms = layers.flatMap((l) => [l.spatial.norm, l.mlp.norm, ...(l.temporal ? [l.temporal.norm] : [])]);
  return {
    ...sizes,
    numHiddenLayers: layers.length,
    numAttentionHeads: agreeing(attentions.map((a) => a.heads), 'attention heads', fail),
    intermediateSize: agreeing(layers.map((l) => l.mlp.mlp.intermediateSize), 'MLP sizes', fail),
    layerNormEps: agreeing([...norms.map((n) => n.eps), final.eps], 'LayerNorm epsilons', fail),
    hiddenAct: agreeing(layers.map((l) => l.mlp.mlp.act), 'activations', fail),
    qkvBias: hasQkvBias(attentions),
    numLabels: head.kind === 'classifier' ? head.classifier.weight.shape[0] : 0,
  };
}

/** Adds one layer's parameters under TimesformerLayer names. */
function putLayer(weights: Map<string, Tensor>, prefix: string, layer: Layer, qkvBias: boolean): void {
  putLayerNorm(weights, `${prefix}layernorm_before`, layer.spatial.norm);
  putQkv(weights, layer.spatial.attention, { fused: `${prefix}attention.attention.qkv` }, qkvBias);
  putLinear(weights, `${prefix}attention.output.dense`, layer.spatial.attention.output);
  if (layer.temporal) {
    putLayerNorm(weights, `${prefix}temporal_layernorm`, layer.temporal.norm);
    putQkv(weights, layer.temporal.attention, { fused: `${prefix}temporal_attention.attention.qkv` }, qkvBias);
    putLinear(weights, `${prefix}temporal_attention.output.dense`, layer.temporal.attention.output);
    putLinear(weights, `${prefix}temporal_dense`, layer.temporal.dense);
  }
  putLayerNorm(weights, `${prefix}layernorm_after`, layer.mlp.norm);
  putLinear(weights, `${prefix}intermediate.dense`, layer.mlp.mlp.up);
  putLinear(weights, `${prefix}output.dense`, layer.mlp.mlp.down);
}

/** Maps a TimeSformer graph whose video input is `input` ([B, T, C, H, W]). */
export function mapTimesformerGraph(g: GraphIndex, input: OnnxValueInfo): OnnxModelMapping {
  const conv = findPatchConv(g, input.name);
  const [hidden, channels, ph, pw] = conv.weight.shape;
  const cls = matchClassToken(g, walkLayout(g, conv.node.outputs[0]).end, hidden);
  const positions = matchPositions(g, cls.output, hidden);
  if (positions.resized) throw g.fail('expected a constant position table (TimeSformer exports do not resize it)');
  const time = timeEmbeddings(g, hidden, positions.output);
  const patches = positions.table.shape[1] - 1;
  const side = squareSide(patches);
  const dims = concreteDims(g, input, [time?.shape[1], channels, side && side * ph, side && side * pw]);
  const ctx: MatchContext = { g, folder: new ShapeFolder(g, new Map([[input.name, dims]])) };
  checkConvInput(ctx, input.name, conv);
  const { grid } = matchPatchTokens(ctx, conv);
  if (patches !== grid[0] * grid[1]) throw g.fail(`the position table has ${patches + 1} rows, but the ${grid[0]}x${grid[1]} patch grid needs ${grid[0] * grid[1] + 1}`);
  const frames = dims[1];
  if (time && time.shape[1] !== frames) throw g.fail(`the time embeddings have ${time.shape[1]} frames, the input ${frames}`);
  const { layers, final } = groupLayers(ctx, layerNormInputs(g).map((x) => matchPart(ctx, x, hidden)), hidden);
  const type = attentionType(g, layers, frames, patches, time !== undefined);
  const head = matchHead(ctx, final.output);
  if (head.kind === 'encoder' && head.pooler) throw g.fail('expected no pooler after a TimeSformer encoder');
  const summary = summarize(g, layers, final, head, { hiddenSize: hidden, patchSize: [ph, pw], imageSize: [grid[0] * ph, grid[1] * pw], numChannels: channels });
  const prefix = head.kind === 'classifier' ? 'timesformer.' : '';
  const weights = new Map<string, Tensor>([
    [`${prefix}embeddings.cls_token`, cls.token],
    [`${prefix}embeddings.position_embeddings`, positions.table],
    [`${prefix}embeddings.patch_embeddings.projection.weight`, conv.weight],
    [`${prefix}embeddings.patch_embeddings.projection.bias`, conv.bias],
  ]);
  if (time) weights.set(`${prefix}embeddings.time_embeddings`, withDims(time, [1, frames, hidden]));
  layers.forEach((layer, i) => putLayer(weights, `${prefix}encoder.layer.${i}.`, layer, summary.qkvBias));
  putLayerNorm(weights, `${prefix}layernorm`, final);
  if (head.kind === 'classifier') putLinear(weights, 'classifier', head.classifier);
  const kind = head.kind === 'classifier' ? 'TimesformerForVideoClassification' : 'TimesformerModel';
  return { config: timesformerConfigJson(summary, frames, type, kind), weights, kind, preprocessor: videoPreprocessorJson(dims[3], dims[4], channels) };
}
