/** The contract between the `tessera` command (main.ts) and its subcommands. */

export const EXIT_OK = 0;
/** The command ran and failed. */
export const EXIT_FAILURE = 1;
/** The command line was wrong: unknown subcommand or option, bad value. */
export const EXIT_USAGE = 2;

/** A mistake in the command line; main.ts prints it with a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Where a command writes; lines get their newline added. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /**
   * Writes to stderr as is (no newline), for progress redrawn in place; set only when stderr is
   * a terminal (main.ts), absent otherwise and in tests.
   */
  errTerminal?: (text: string) => void;
}

export interface Command {
  /** One line for the parent's help. */
  summary: string;
  /** The full --help text. */
  help: string;
  /** Runs with the arguments after the subcommand's name; resolves to the exit code. */
  run(args: string[], io: CommandIo): Promise<number>;
}

export interface CommandGroup {
  summary: string;
  subcommands: Readonly<Record<string, Command | CommandGroup>>;
}

export function isGroup(node: Command | CommandGroup): node is CommandGroup {
  return 'subcommands' in node;
}
