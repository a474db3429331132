/** A transformer MLP in an ONNX graph: linear (hidden -> intermediate), GELU, linear (back to hidden). */
import type { HfActivation } from './gelu-match';
import { matchActivation } from './gelu-match';
import { describeNode } from './graph-index';
import type { LinearMatch } from './linear-match';
import { matchLinear, nextLinear } from './linear-match';
import type { MatchContext } from './match-context';

export interface MlpMatch {
  readonly up: LinearMatch;
  readonly down: LinearMatch;
  readonly act: HfActivation;
  readonly intermediateSize: number;
  /** The MLP's result. */
  readonly output: string;
}

/** The MLP reading `input` (hidden features). */
export function matchMlp(ctx: MatchContext, input: string, hidden: number): MlpMatch {
  const { g } = ctx;
  const up = nextLinear(g, input, "the MLP's first linear layer");
  const [intermediateSize, upIn] = up.weight.shape;
  if (upIn !== hidden) throw g.fail(`${describeNode(up.node)}: expected ${hidden} input features, found ${upIn}`);
  const activation = matchActivation(ctx, up.output);
  const down = matchLinear(g, activation.next);
  if (down.weight.shape[0] !== hidden || down.weight.shape[1] !== intermediateSize) {
    throw g.fail(`${describeNode(down.node)}: expected a [${intermediateSize} -> ${hidden}] layer, found [${down.weight.shape[1]} -> ${down.weight.shape[0]}]`);
  }
  return { up, down, act: activation.act, intermediateSize, output: down.output };
}
