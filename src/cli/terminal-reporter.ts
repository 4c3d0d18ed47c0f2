// How a run talks on a terminal: steps and warnings as lines on stderr (stdout carries the report), and
// the progress of a wait on one line that updates in place when stderr is a TTY.
import type { RunReporter } from '../types.js';

export interface TerminalStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function terminalReporter(stream: TerminalStream, secrets: string[] = []): RunReporter {
  let progressShown = false;
  const mask = (text: string) => secrets.reduce((masked, secret) => masked.split(secret).join('***'), text);
  const line = (text: string) => {
    if (progressShown) stream.write('\r\x1b[2K');
    progressShown = false;
    stream.write(`${mask(text)}\n`);
  };
  return {
    info: (message) => line(message),
    warning: (message) => line(`warning: ${message}`),
    progress(message) {
      if (!stream.isTTY) return line(`… ${message}`);
      stream.write(`\r\x1b[2K… ${mask(message)}`);
      progressShown = true;
    },
    setSecret: (secret) => {
      if (secret) secrets.push(secret);
    },
  };
}
