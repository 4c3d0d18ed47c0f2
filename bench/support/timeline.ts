// Request spans as the API server stand-in saw them: its log records when a request arrived; this adds
// when its answer was finished, by observing the log's own entries from the outside (the stand-in's code
// is unchanged). From the spans: how many requests, and how many sequential round trips they took.
import type { ApiServer } from '../../test/support/kube-apiserver/index.js';

type LogEntry = ApiServer['requests'][number];

const OVERLAP_SLACK_MS = 2;

export interface Span {
  method: string;
  path: string;
  verb?: string;
  status: number;
  /** performance.now() of arrival and of the finished answer (undefined while still open, e.g. a watch) */
  start: number;
  end?: number;
}

export interface RoundTrips {
  requests: number;
  watches: number;
  /** groups of requests whose time spans overlap: the round trips a client had to wait for one after another */
  sequential: number;
  /** the requests of each round, e.g. ['GET leases, GET virtualservices, ...', 'PUT destinationrules'] */
  rounds: string[];
}

/** Starts recording every request the server gets from now on. */
export class RequestTimeline {
  readonly spans: Span[] = [];

  constructor(server: ApiServer) {
    const log = server.requests;
    const push = log.push.bind(log);
    log.push = (...entries: LogEntry[]): number => {
      for (const entry of entries) this.track(entry);
      return push(...entries);
    };
  }

  /** The spans recorded since `mark` (an index from `now()`). */
  since(mark: number): Span[] {
    return this.spans.slice(mark);
  }

  now(): number {
    return this.spans.length;
  }

  /** Resolves with the first span recorded at or after `mark` (a process's first API request). */
  async first(mark: number, timeoutMs: number): Promise<Span> {
    const deadline = performance.now() + timeoutMs;
    while (this.spans.length <= mark) {
      if (performance.now() > deadline) throw new Error(`no API request within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return this.spans[mark]!;
  }

  private track(entry: LogEntry): void {
    const span: Span = {
      method: entry.method,
      path: entry.path,
      status: entry.status,
      start: performance.now(),
    };
    this.spans.push(span);
    let status = entry.status;
    // The server sets `status` once the answer is finished (or the connection closed): that instant ends the span.
    Object.defineProperty(entry, 'status', {
      configurable: true,
      enumerable: true,
      get: () => status,
      set: (value: number) => {
        status = value;
        span.status = value;
        if (value !== 0 && span.end === undefined) span.end = performance.now();
      },
    });
    Object.defineProperty(entry, 'verb', {
      configurable: true,
      enumerable: true,
      get: () => span.verb,
      set: (value: string) => (span.verb = value),
    });
  }
}

/** A short name for a request: "PUT virtualservices/reviews". */
export function describeSpan(span: Span): string {
  const parts = span.path.split('/').filter((p) => p !== '');
  const ns = parts.indexOf('namespaces');
  const rest = ns >= 0 ? parts.slice(ns + 2) : parts.slice(-1);
  const query = span.verb === 'watch' ? ' (watch)' : '';
  return `${span.method} ${rest.join('/')}${query}`;
}

/**
 * Requests and sequential round trips: spans are merged while they overlap in time; each merged group is one
 * round trip the client waited for. Watches (long-lived streams) are counted apart and not merged.
 */
export function roundTrips(spans: Span[]): RoundTrips {
  const watches = spans.filter((s) => s.verb === 'watch');
  const requests = spans.filter((s) => s.verb !== 'watch').sort((a, b) => a.start - b.start);
  const rounds: Span[][] = [];
  let roundEnd = -Infinity;
  for (const span of requests) {
    // A request that starts within OVERLAP_SLACK_MS of the round's end was sent after the answer: the server
    // notes an answer as finished a moment after the bytes left, so a tiny overlap is not concurrency.
    if (rounds.length > 0 && span.start < roundEnd - OVERLAP_SLACK_MS) {
      rounds.at(-1)!.push(span);
      roundEnd = Math.max(roundEnd, span.end ?? Infinity);
    } else {
      rounds.push([span]);
      roundEnd = span.end ?? Infinity;
    }
  }
  return {
    requests: requests.length,
    watches: watches.length,
    sequential: rounds.length,
    rounds: rounds.map((round) => round.map(describeSpan).join(', ')),
  };
}
