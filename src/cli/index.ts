// The CLI as a library: runCli for the entry point and tests, registerCommand for more commands.
import { registerCommand } from './commands.js';
import { planCommand } from './plan-command.js';
import { STAGE_COMMANDS } from './stage-commands.js';

registerCommand(planCommand);
for (const command of STAGE_COMMANDS) registerCommand(command);

export {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  registerCommand,
  registeredCommands,
  reportError,
  runCli,
  usage,
} from './commands.js';
export type { CliCommand, CliIO } from './commands.js';
export { describeFlags, parseFlags } from './flags.js';
export type { ExtraFlag, ParsedFlags } from './flags.js';
export { planCommand } from './plan-command.js';
export { stageCommand } from './stage-commands.js';
