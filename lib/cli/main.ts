/**
 * The `tessera` command (bin/tessera.js): dispatches to subcommands, prints help, and turns
 * failures into exit codes (0 ok, 1 the command failed, 2 the command line was wrong).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { benchAttentionCommand } from './bench-attention';
import { benchTimesformerCommand } from './bench-timesformer';
import { benchViTCommand } from './bench-vit';
import { classifyCommand } from './classify';
import { classifyVideoCommand } from './classify-video';
import { convertCommand } from './convert';
import { demoCommand } from './demo';
import { renderPatternCommand } from './render-pattern';
import type { Command, CommandGroup, CommandIo } from './command';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, isGroup, UsageError } from './command';

const ROOT: CommandGroup = {
  summary: 'fast vision-transformer building blocks for Node.js',
  subcommands: {
    bench: {
      summary: 'benchmarks with side-by-side baselines',
      subcommands: { attention: benchAttentionCommand, vit: benchViTCommand, timesformer: benchTimesformerCommand },
    },
    classify: classifyCommand,
    'classify-video': classifyVideoCommand,
    convert: convertCommand,
    demo: demoCommand,
    'render-pattern': renderPatternCommand,
  },
};

const HELP_FLAGS = ['-h', '--help'];

const processIo: CommandIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  ...(process.stderr.isTTY ? { errTerminal: (text: string) => void process.stderr.write(text) } : {}),
};

function packageVersion(): string {
  const file = path.join(__dirname, '..', '..', 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

function groupHelp(names: readonly string[], group: CommandGroup): string {
  const prefix = ['tessera', ...names].join(' ');
  const entries = Object.entries(group.subcommands);
  const width = Math.max(...entries.map(([name]) => name.length));
  return [
    `Usage: ${prefix} <command> [options]`,
    '',
    `${prefix}: ${group.summary}`,
    '',
    'Commands:',
    ...entries.map(([name, node]) => `  ${name.padEnd(width)}  ${node.summary}`),
    '',
    `Run '${prefix} <command> --help' for a command's options.`,
    ...(names.length === 0 ? ['', 'Options:', '  -h, --help     show this help', '  -v, --version  print the version'] : []),
  ].join('\n');
}

async function runCommand(names: readonly string[], command: Command, args: string[], io: CommandIo): Promise<number> {
  const prefix = ['tessera', ...names].join(' ');
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${prefix}: ${error.message}\nRun '${prefix} --help' for its options.`);
      return EXIT_USAGE;
    }
    io.err(`${prefix}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_FAILURE;
  }
}

async function dispatch(names: readonly string[], group: CommandGroup, args: string[], io: CommandIo): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || HELP_FLAGS.includes(first)) {
    (first === undefined ? io.err : io.out)(groupHelp(names, group));
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (names.length === 0 && (first === '-v' || first === '--version')) {
    io.out(packageVersion());
    return EXIT_OK;
  }
  const node = Object.hasOwn(group.subcommands, first) ? group.subcommands[first] : undefined;
  if (node === undefined) {
    const prefix = ['tessera', ...names].join(' ');
    io.err(`${prefix}: unknown command '${first}' (expected ${Object.keys(group.subcommands).join(', ')})\nRun '${prefix} --help' for usage.`);
    return EXIT_USAGE;
  }
  const path = [...names, first];
  return isGroup(node) ? dispatch(path, node, rest, io) : runCommand(path, node, rest, io);
}

/** Runs `tessera <args>` and resolves to the exit code. */
export function main(args: string[], io: CommandIo = processIo): Promise<number> {
  return dispatch([], ROOT, args, io);
}

/** What bin/tessera.js calls: runs the command line and sets the process's exit code. */
export async function run(args: string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await main(args);
}
