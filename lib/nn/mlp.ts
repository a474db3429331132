/**
 * The transformer MLP: residual += fc2(act(fc1(x))).
 *   x: [M, C] -> hidden: [M, I] -> added onto residual: [M, C] (in place).
 */
import type { LinearActivation } from '../ops/linear';
import type { TensorLike } from '../tensor';
import { Linear } from './linear';
import type { Program } from './program';
import { rowsView } from './program';
import type { Weights } from './weights';

export class Mlp {
  constructor(
    readonly fc1: Linear,
    readonly fc2: Linear,
    readonly activation: LinearActivation,
  ) {}

  /** fc1 = `names.up` [I, C], fc2 = `names.down` [C, I], both with biases. */
  static load(weights: Weights, names: { up: string; down: string }, channels: number, hidden: number, activation: LinearActivation): Mlp {
    return new Mlp(Linear.load(weights, names.up, channels, hidden), Linear.load(weights, names.down, hidden, channels), activation);
  }

  get hiddenFeatures(): number {
    return this.fc1.outFeatures;
  }

  /** x: [M, C]; hidden: scratch of M * I elements; residual: [M, C], updated in place. */
  emit(program: Program, x: TensorLike, residual: TensorLike, hidden: Float32Array): void {
    const rows = x.shape[0];
    const h = rowsView(hidden, rows, this.hiddenFeatures);
    this.fc1.emit(program, x, h, { activation: this.activation });
    this.fc2.emit(program, h, residual, { residual });
  }
}
