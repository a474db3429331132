#!/usr/bin/env node
// The full attention benchmark (`npm run bench`; not part of `npm test`; needs `npm run build`).
//  1. N = 197, 1024, 4096, 16384 with B=1, H=12, D=64: tessera beside onnxruntime-node's
//     MultiHeadAttention node and MatMul-Softmax-MatMul graph, each in its own process, as a
//     markdown table of time, GFLOP/s, peak RSS and the tessera/ORT ratios.
//  2. The motivating case: full attention over 96,000 tokens (B=1, H=1, D=64), tessera only
//     (--long-ort adds onnxruntime; its unfused graph would need a ~37 GB score matrix and is
//     skipped unless --force), reporting its time and whether its peak RSS stays under 1 GB.
// It takes the options of `tessera bench attention` (see --help) and reuses its modules.
'use strict';
const {
  BENCH_ATTENTION_OPTIONS,
  anyFailed,
  benchAttentionPlan,
  printAttentionResult,
  progressReporter,
} = require('../../dist/cli/bench-attention');
const { EXIT_USAGE, UsageError } = require('../../dist/cli/command');
const { parseOptions, positiveInt } = require('../../dist/cli/parse-options');
const { attentionJson } = require('../../dist/bench/attention-report');
const { runAttentionSuite } = require('../../dist/bench/attention-suite');

const FULL_SIZES = [197, 1024, 4096, 16384];
const LONG_TOKENS = 96000;
const LONG_HEADS = 1;
const LONG_HEAD_DIM = 64;
const ONE_GB = 1e9;

const OPTIONS = {
  ...BENCH_ATTENTION_OPTIONS,
  'long-tokens': { type: 'string' },
  'long-ort': { type: 'boolean' },
};

const HELP = `Usage: node scripts/bench/attention.js [options]

The full attention benchmark: tessera vs onnxruntime-node at N = ${FULL_SIZES.join(', ')}
(B=1, H=12, D=64), then full attention over ${LONG_TOKENS} tokens (B=1, H=${LONG_HEADS}, D=${LONG_HEAD_DIM}).
Prints markdown (or JSON with --json); progress goes to stderr. Exits with 1 if a
measurement failed (skipped ones, e.g. those estimated not to fit in memory, do not count).

Options: those of 'tessera bench attention' (--sizes defaults to ${FULL_SIZES.join(',')}), and
  --long-tokens N  tokens of the long-context case; 0 skips it; default ${LONG_TOKENS}
  --long-ort       also run onnxruntime-node on the long-context case (one run each, no warm-up
                   for any engine there; the unfused graph is skipped unless --force)`;

const io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

function longTokens(values) {
  const text = values['long-tokens'];
  if (text === undefined) return LONG_TOKENS;
  return text.trim() === '0' ? 0 : positiveInt('long-tokens', text);
}

/** The long-context case, or null to skip it: one timed run per engine, no warm-up (a run takes tens of seconds). */
function longPlan(values, shortPlan) {
  const tokens = longTokens(values);
  if (tokens === 0) return null;
  return {
    ...shortPlan,
    cases: [{ batch: 1, seqQ: tokens, seqK: tokens, heads: LONG_HEADS, headDim: LONG_HEAD_DIM }],
    engines: values['long-ort'] ? shortPlan.engines : ['tessera'],
    warmup: 0,
    repeat: 1,
  };
}

/** Whether tessera's peak RSS on the long case stayed under 1 GB; null when it did not run. */
function tesseraUnderOneGb(result) {
  const entry = result.entries.find((e) => e.engine === 'tessera' && e.outcome.status === 'ok');
  if (!entry) return null;
  const peak = entry.outcome.measurement.peakRssBytes;
  return { peakRssBytes: peak, belowOneGb: peak < ONE_GB };
}

function printLong(result, verdict) {
  const c = result.plan.cases[0];
  io.out(`\n### Full attention over ${c.seqQ} tokens (B=${c.batch}, H=${c.heads}, D=${c.headDim})\n`);
  printAttentionResult(result, 'markdown', io);
  if (verdict) {
    const mib = (verdict.peakRssBytes / 1024 ** 2).toFixed(1);
    io.out(`\ntessera peak RSS ${mib} MiB: ${verdict.belowOneGb ? 'below' : 'NOT below'} 1 GB (10^9 bytes).`);
  }
}

async function main() {
  const values = parseOptions(process.argv.slice(2), OPTIONS);
  if (values.help) {
    io.out(HELP);
    return;
  }
  const format = values.json ? 'json' : 'markdown';
  const plan = benchAttentionPlan(values, FULL_SIZES);
  const long = longPlan(values, plan);
  const result = await runAttentionSuite(plan, progressReporter(plan, io));
  const longResult = long && (await runAttentionSuite(long, progressReporter(long, io)));
  const verdict = longResult && tesseraUnderOneGb(longResult);
  if (anyFailed(result) || (longResult && anyFailed(longResult))) process.exitCode = 1;
  if (format === 'json') {
    const longJson = longResult && { ...attentionJson(longResult), tesseraPeakRss: verdict };
    io.out(JSON.stringify({ attention: attentionJson(result), longContext: longJson }, null, 2));
    return;
  }
  io.out('### Attention: tessera vs onnxruntime-node\n');
  printAttentionResult(result, 'markdown', io);
  if (longResult) printLong(longResult, verdict);
}

main().catch((error) => {
  io.err(`scripts/bench/attention.js: ${error.message}`);
  process.exitCode = error instanceof UsageError ? EXIT_USAGE : 1;
});
