// The one orchestration shared by the action, the CLI and library users.
import type { RunContext, RunOptions, StageResult } from './types.js';

export async function runStage(options: RunOptions, context: RunContext = {}): Promise<StageResult> {
  void options;
  void context;
  throw new Error('runStage is being written');
}
