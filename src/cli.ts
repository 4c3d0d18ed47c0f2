#!/usr/bin/env node
// Command-line entry: `istio-canary <command> [flags]`. The logic lives in src/cli/.
import { runCli } from './cli/index.js';

void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
