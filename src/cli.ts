#!/usr/bin/env node
// Command-line entry: `istio-canary <command> [flags]`. The logic lives in src/cli/. Node's compile cache is
// turned on before it is loaded (a chunk of its own in the bundle): later runs skip compiling it.
import { enableCompileCache } from 'node:module';

enableCompileCache();

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

const { runCli } = await import('./cli/index.js');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: tolerantOfClosedPipe(process.stdout),
  stderr: tolerantOfClosedPipe(process.stderr),
});
