// The command table and dispatcher. `plan` is built in; other commands (the cluster stages) join through
// registerCommand, so the entry point and its help stay one list.
import { InputError } from '../errors.js';
import { errorShape } from './error-shape.js';

/** Where a command writes: process.stdout/stderr in the entry, buffers in tests. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export interface CliCommand {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** `--help` text of the command. */
  help(): string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** Exit codes: 0 done, 1 the work failed (checks, cluster, health), 2 bad usage or input. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const commands = new Map<string, CliCommand>();

/** Adds (or replaces) a command of `istio-canary`. */
export function registerCommand(command: CliCommand): void {
  commands.set(command.name, command);
}

export function registeredCommands(): CliCommand[] {
  return [...commands.values()];
}

export function usage(): string {
  const names = registeredCommands();
  const width = Math.max(...names.map((command) => command.name.length));
  return [
    'Usage: istio-canary <command> [flags]',
    '',
    'Commands:',
    ...names.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Flags are the GitHub Action inputs: --weight 50, --header-match end-user=jason (repeatable), --dry-run.',
    "Run 'istio-canary <command> --help' for a command's flags.",
    '',
  ].join('\n');
}

/** Runs `istio-canary <argv>`; never throws: errors become one line on stderr and an exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = commands.get(name);
  if (!command) {
    const known = registeredCommands()
      .map((each) => each.name)
      .join(', ');
    io.stderr.write(`error: unknown command "${name}": use one of ${known}\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    return reportError(error, io);
  }
}

/** One line per error; input errors exit 2, the rest 1. */
export function reportError(error: unknown, io: CliIO): number {
  const { message } = errorShape(error);
  io.stderr.write(`error: ${message.split('\n')[0]}\n`);
  return error instanceof InputError ? EXIT_USAGE : EXIT_FAILED;
}
