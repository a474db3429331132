/** Turns attention suite results into per-row metrics, a table, and a JSON report. */
import type { AttentionCase } from './attention-case';
import { attentionFlops } from './attention-case';
import type { SuiteEntry, SuiteResult } from './attention-suite';
import type { EngineName } from './engine';
import { ENGINES } from './engines';
import type { Measurement } from './measure';
import type { Column, TableFormat } from './table';
import { renderTable } from './table';

const MIB = 1024 ** 2;

export interface EntrySummary {
  engine: EngineName;
  label: string;
  case: AttentionCase;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  measurement?: Measurement;
  gflops?: number;
  /** tessera's GFLOP/s over this engine's on the same case (> 1: tessera is faster). */
  tesseraSpeedRatio?: number;
  /** tessera's peak RSS over this engine's on the same case (< 1: tessera needs less). */
  tesseraPeakRssRatio?: number;
}

function sameCase(a: AttentionCase, b: AttentionCase): boolean {
  return a.batch === b.batch && a.seqQ === b.seqQ && a.seqK === b.seqK && a.heads === b.heads && a.headDim === b.headDim;
}

function gflopsOf(m: Measurement): number {
  return attentionFlops(m.spec.case) / (m.medianMs * 1e6);
}

function summarizeEntry(entry: SuiteEntry, tessera: Measurement | undefined): EntrySummary {
  const base = { engine: entry.engine, label: ENGINES[entry.engine].label, case: entry.case, status: entry.outcome.status };
  if (entry.outcome.status !== 'ok') return { ...base, reason: entry.outcome.reason };
  const m = entry.outcome.measurement;
  const ratios =
    tessera && entry.engine !== 'tessera'
      ? { tesseraSpeedRatio: m.medianMs / tessera.medianMs, tesseraPeakRssRatio: tessera.peakRssBytes / m.peakRssBytes }
      : {};
  return { ...base, measurement: m, gflops: gflopsOf(m), ...ratios };
}

function tesseraMeasurement(entries: readonly SuiteEntry[], c: AttentionCase): Measurement | undefined {
  const entry = entries.find((e) => e.engine === 'tessera' && sameCase(e.case, c));
  return entry?.outcome.status === 'ok' ? entry.outcome.measurement : undefined;
}

export function summarize(result: SuiteResult): EntrySummary[] {
  return result.entries.map((entry) => summarizeEntry(entry, tesseraMeasurement(result.entries, entry.case)));
}

const COLUMNS: readonly Column[] = [
  { header: 'N', align: 'right' },
  { header: 'engine', align: 'left' },
  { header: 'time ms', align: 'right' },
  { header: 'GFLOP/s', align: 'right' },
  { header: 'peak RSS MiB', align: 'right' },
  { header: 'run +RSS MiB', align: 'right' },
  { header: 'speed tessera/this', align: 'right' },
  { header: 'peak RSS tessera/this', align: 'right' },
];

function formatMs(ms: number): string {
  return ms.toFixed(ms < 10 ? 2 : ms < 100 ? 1 : 0);
}

function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? '' : `${ratio.toFixed(ratio < 10 ? 2 : 1)}x`;
}

function seqCell(c: AttentionCase): string {
  return c.seqQ === c.seqK ? String(c.seqQ) : `${c.seqQ}x${c.seqK}`;
}

function rowOf(s: EntrySummary): string[] {
  const m = s.measurement;
  if (!m || s.gflops === undefined) return [seqCell(s.case), s.label, s.status, '', '', '', '', ''];
  return [
    seqCell(s.case),
    s.label,
    formatMs(m.medianMs),
    s.gflops.toFixed(1),
    (m.peakRssBytes / MIB).toFixed(1),
    (m.runPeakIncreaseBytes / MIB).toFixed(1),
    formatRatio(s.tesseraSpeedRatio),
    formatRatio(s.tesseraPeakRssRatio),
  ];
}

/** One row per (N, engine); the ratio columns compare tessera with that row's engine. */
export function attentionTable(summaries: readonly EntrySummary[], format: TableFormat): string {
  return renderTable(COLUMNS, summaries.map(rowOf), format);
}

/** One line per skipped or failed row, with the reason. */
export function attentionNotes(summaries: readonly EntrySummary[]): string[] {
  return summaries
    .filter((s) => s.status !== 'ok')
    .map((s) => `- N=${seqCell(s.case)}, ${s.label}, ${s.status}: ${s.reason ?? ''}`);
}

/** Everything measured, with the derived metrics, as one JSON-ready object. */
export function attentionJson(result: SuiteResult): object {
  return { host: result.host, plan: result.plan, onnxruntime: result.ort, results: summarize(result) };
}
