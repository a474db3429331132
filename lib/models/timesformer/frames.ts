/**
 * Frame sampling for video classification: a clip of n frames becomes `count` frames taken at
 * the centres of `count` equal segments, index floor((i + 0.5) * n / count) for i < count
 * (TSN/TimeSformer-style uniform sampling; frames repeat when n < count).
 */
import { ArgumentError } from '../../errors';

export function sampleFrames<T>(clip: readonly T[], count: number, name = 'clip'): T[] {
  if (!Array.isArray(clip) || clip.length === 0) throw new ArgumentError(name, 'expected a non-empty array of frames');
  return Array.from({ length: count }, (_, i) => clip[Math.floor(((i + 0.5) * clip.length) / count)]);
}
