/** What every graph matcher works with: the graph's lookups and its folded shapes. */
import type { GraphIndex } from './graph-index';
import type { ShapeFolder } from './shape-fold';

export interface MatchContext {
  readonly g: GraphIndex;
  readonly folder: ShapeFolder;
}
