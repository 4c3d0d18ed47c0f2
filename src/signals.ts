// Cancellation by signal, shared by the action and the CLI. The first SIGINT or SIGTERM stops the run, which
// then restores what it wrote; every further one is held until the run has finished, because the default
// action (exit at once) in the middle of the restore would leave the canary's weights in place. CI systems
// and `timeout` signal a whole process group, and people press Ctrl-C twice.
import { CanaryError } from './errors.js';

export interface SignalHandlers {
  /** The first signal: the run is being stopped. */
  stopping(signal: NodeJS.Signals): void;
  /** Each further signal while the run is still restoring. */
  held(signal: NodeJS.Signals): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Aborts `controller` on the first signal and holds the rest; returns the function that stops listening. */
export function abortOnSignals(controller: AbortController, handlers: SignalHandlers): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return handlers.held(signal);
    handlers.stopping(signal);
    controller.abort(new CanaryError('cancelled', `the run was cancelled (${signal})`));
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
}

export const signalMessages = {
  stopping: (signal: NodeJS.Signals): string =>
    `${signal} received: stopping and restoring what this run changed.`,
  held: (signal: NodeJS.Signals): string =>
    `${signal} received again: still restoring what this run changed; it exits when that is done.`,
};
