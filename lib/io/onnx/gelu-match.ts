/**
 * The activation between two linear layers, recognized by what it computes rather than by how
 * it is written: the element-wise nodes between the layers are evaluated at sample points and
 * compared with exact GELU, 0.5 x (1 + erf(x / sqrt 2)) (Hugging Face 'gelu'), and its tanh form,
 * 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) ('gelu_pytorch_tanh'). Any arrangement of
 * the ops (Div or Mul by the constant, 0.5 first or last, a Gelu node) is accepted.
 */
import type { OnnxNode } from './graph';
import { describeNode } from './graph-index';
import { isLinearNode } from './linear-match';
import type { MatchContext } from './match-context';

/** Hugging Face hidden_act names of the activations tessera runs. */
export type HfActivation = 'gelu' | 'gelu_pytorch_tanh';

export interface ActivationMatch {
  readonly act: HfActivation;
  /** The activation's result. */
  readonly output: string;
  /** The linear layer that reads it. */
  readonly next: OnnxNode;
}

/** The most nodes an activation may have. */
const MAX_NODES = 32;
/** Where the activation is evaluated, and how closely it must agree (relative, floor 1). */
const SAMPLES = [-3, -1.7, -0.6, -0.1, 0.2, 0.9, 1.6, 2.8];
const TOLERANCE = 1e-6;

/** erf by its Taylor series: accurate to ~1e-14 for |x| <= 3, the range sampled. */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 100 && Math.abs(term) > 1e-17; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const geluErf = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

const CANDIDATES: readonly (readonly [HfActivation, (x: number) => number])[] = [
  ['gelu', geluErf],
  ['gelu_pytorch_tanh', geluTanh],
];

/** Element-wise ops on scalars; Gelu reads its 'approximate' attribute. */
const SCALAR_OPS: Readonly<Record<string, (args: number[], node: OnnxNode, ctx: MatchContext) => number>> = {
  Add: ([a, b]) => a + b,
  Sub: ([a, b]) => a - b,
  Mul: ([a, b]) => a * b,
  Div: ([a, b]) => a / b,
  Pow: ([a, b]) => a ** b,
  Erf: ([a]) => erf(a),
  Tanh: ([a]) => Math.tanh(a),
  Sqrt: ([a]) => Math.sqrt(a),
  Sigmoid: ([a]) => 1 / (1 + Math.exp(-a)),
  Neg: ([a]) => -a,
  Exp: ([a]) => Math.exp(a),
  Identity: ([a]) => a,
  Cast: ([a]) => a,
  Gelu: ([a], node, ctx) => (ctx.g.stringAttribute(node, 'approximate', 'none') === 'tanh' ? geluTanh(a) : geluErf(a)),
};

/** The element-wise nodes reachable from `input` before the next linear layer, and where they end. */
function collectRegion(ctx: MatchContext, input: string): { nodes: OnnxNode[]; output: string; next: OnnxNode } {
  const { g } = ctx;
  const nodes: OnnxNode[] = [];
  const exits = new Map<string, OnnxNode>();
  const queue = [input];
  while (queue.length > 0) {
    const tensor = queue.shift() as string;
    for (const node of g.dataConsumers(tensor)) {
      if (isLinearNode(g, node, tensor)) {
        exits.set(tensor, node);
      } else if (!Object.hasOwn(SCALAR_OPS, node.opType)) {
        throw g.unexpected(tensor, 'GELU (element-wise ops) or the MLP output layer');
      } else if (!nodes.includes(node)) {
        nodes.push(node);
        queue.push(...node.outputs);
        if (nodes.length > MAX_NODES) throw g.fail(`the activation after ${g.describeTensor(input)} has more than ${MAX_NODES} nodes`);
      }
    }
  }
  if (exits.size !== 1 || exits.has(input)) throw g.unexpected(input, 'GELU followed by one linear layer');
  const [[output, next]] = exits;
  nodes.sort((a, b) => g.position(a) - g.position(b));
  return { nodes, output, next };
}

/** The region's value at `x` (its input set to x). */
function evaluate(ctx: MatchContext, nodes: readonly OnnxNode[], input: string, output: string, x: number): number {
  const env = new Map<string, number>([[input, x]]);
  for (const node of nodes) {
    const args = node.inputs.map((name) => {
      const value = env.get(name) ?? ctx.g.scalar(name);
      if (value === undefined) throw ctx.g.fail(`${describeNode(node)}: expected the activation's input or a scalar constant, found '${name}'`);
      return value;
    });
    env.set(node.outputs[0], SCALAR_OPS[node.opType](args, node, ctx));
  }
  return env.get(output) as number;
}

/** The activation applied to `input` (the output of an MLP's first linear layer). */
export function matchActivation(ctx: MatchContext, input: string): ActivationMatch {
  const { nodes, output, next } = collectRegion(ctx, input);
  const values = SAMPLES.map((x) => evaluate(ctx, nodes, input, output, x));
  const found = CANDIDATES.find(([, f]) => SAMPLES.every((x, i) => Math.abs(values[i] - f(x)) <= TOLERANCE * Math.max(1, Math.abs(f(x)))));
  if (!found) {
    throw ctx.g.fail(`the activation after ${ctx.g.describeTensor(input)} is neither exact GELU nor its tanh form (f(1) would be 0.8413 or 0.8412)`);
  }
  return { act: found[0], output, next };
}
