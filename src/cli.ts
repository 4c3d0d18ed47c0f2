#!/usr/bin/env node
// Command-line entry: `istio-canary <command> [flags]`. The logic lives in src/cli/.
import { runCli } from './cli/index.js';

/**
 * A reader that stops early (`istio-canary plan … | head -1`) closes the pipe: the rest of the output is
 * dropped, while the command itself (a stage may be writing to the cluster) goes on to its own end and
 * exit code, instead of dying on an unhandled EPIPE.
 */
function tolerantOfClosedPipe(stream: NodeJS.WriteStream): { write(text: string): unknown; isTTY?: boolean } {
  let closed = false;
  stream.on('error', () => {
    closed = true;
  });
  return {
    write: (text: string) => closed || stream.write(text),
    isTTY: stream.isTTY,
  };
}

void runCli(process.argv.slice(2), {
  stdout: tolerantOfClosedPipe(process.stdout),
  stderr: tolerantOfClosedPipe(process.stderr),
}).then((code) => {
  process.exitCode = code;
});
