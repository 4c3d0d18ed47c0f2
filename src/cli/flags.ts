// Command-line flags = the action's inputs: `--<input-name> value` or `--<input-name>=value`, repeatable
// for multi-line inputs, `--name` / `--no-name` for switches. Shared by every command.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { InputError } from '../errors.js';
import { errorShape } from './error-shape.js';
import { OPTION_DEFINITIONS } from '../options/index.js';
import type { OptionDefinition, RawOptions } from '../options/index.js';

type FlagConfig = NonNullable<ParseArgsConfig['options']>;

/** A command's own flags besides the option table's (e.g. `--from`). */
export interface ExtraFlag {
  name: string;
  description: string;
  multiple?: boolean;
  boolean?: boolean;
}

export interface ParsedFlags {
  /** Option values by input name, ready for parseRunOptions / parseStageOptions. */
  options: RawOptions;
  /** Values of the command's extra flags (always lists; booleans as 'true'). */
  extra: Record<string, string[]>;
  help: boolean;
}

/**
 * Parses `args` against `definitions` (default: every option) plus `extra` flags. Unknown flags and
 * positionals are input errors naming the flag.
 */
export function parseFlags(
  command: string,
  args: string[],
  definitions: readonly OptionDefinition[] = OPTION_DEFINITIONS,
  extra: readonly ExtraFlag[] = [],
): ParsedFlags {
  const config: FlagConfig = { help: { type: 'boolean', short: 'h' } };
  for (const flag of [...definitions, ...extra]) {
    config[flag.name] = {
      type: flag.boolean ? 'boolean' : 'string',
      ...(flag.multiple ? { multiple: true } : {}),
    };
  }
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: config,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    }));
  } catch (error) {
    throw flagError(command, error);
  }
  const options: RawOptions = {};
  const extraValues: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(values)) {
    if (name === 'help' || value === undefined) continue;
    const list = (Array.isArray(value) ? value : [value]).map(String);
    if (extra.some((flag) => flag.name === name)) extraValues[name] = list;
    else options[name] = list.join('\n');
  }
  return { options, extra: extraValues, help: values.help === true };
}

function flagError(command: string, error: unknown): InputError {
  const { message, code } = errorShape(error);
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  const help = `see istio-canary ${command} --help`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new InputError(flag, `unknown flag ${flag}: ${help}`);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const positional = /'([^']*)'/.exec(message)?.[1] ?? '';
    return new InputError(
      '',
      `unexpected argument "${positional}": values follow their flag (--name value); ${help}`,
    );
  }
  // `--weight --dry-run`: the parser calls a flag followed by another flag "ambiguous"; it lacks its value.
  if (
    code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' &&
    /argument missing|argument is ambiguous/.test(message)
  ) {
    return new InputError(flag, `${flag} needs a value: ${help}`);
  }
  return new InputError(flag, `${message.split('\n')[0]}: ${help}`);
}

/** Help lines for flags: `  --name <value>  description (default: x)`. */
export function describeFlags(
  definitions: readonly OptionDefinition[],
  extra: readonly ExtraFlag[] = [],
): string {
  const flags: Partial<OptionDefinition>[] = [...definitions, ...extra];
  const rows = flags.map((flag) => {
    const left = `--${flag.name}${flag.boolean ? '' : ' <value>'}${flag.multiple ? ' ...' : ''}`;
    const details = [
      flag.allowed && !flag.boolean ? `one of ${flag.allowed.join(', ')}` : '',
      flag.default !== undefined ? `default ${flag.default}` : '',
    ].filter((detail) => detail !== '');
    return [left, `${flag.description}${details.length > 0 ? ` (${details.join('; ')})` : ''}`];
  });
  const width = Math.max(...rows.map(([left]) => (left ?? '').length));
  return rows.map(([left, right]) => `  ${(left ?? '').padEnd(width)}  ${right}`).join('\n');
}
