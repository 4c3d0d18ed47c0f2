// runStage's progress as the runner shows it: log lines, collapsible groups, annotations, masks.
import * as core from './actions-core.js';
import type { RunReporter } from '../types.js';

export const actionReporter: RunReporter = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  progress: (message) => core.info(message),
  group: (name, work) => core.group(name, work),
  setSecret: (secret) => core.setSecret(secret),
};
