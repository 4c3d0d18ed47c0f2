// One real Prometheus per test file, scraping an Istio-shaped exporter: started before the file's tests,
// stopped after them, skipped (with the reason) where Prometheus cannot be installed outside CI.
import type { ComparisonOptions } from '../../../src/types.js';
import { ensurePrometheusBinary } from './binary.js';
import { startIstioExporter, type IstioExporter, type WorkloadTraffic } from './istio-exporter.js';
import { startPrometheus, type RunningPrometheus } from './server.js';

export interface PrometheusSuite {
  /** `describe`, or `describe.skip` when there is no Prometheus binary. */
  describe: typeof describe | typeof describe.skip;
  /** Call inside the describe block: starts the exporter and Prometheus, waits for `ready` to have a sample. */
  start(traffic: WorkloadTraffic[], ready: string): void;
  readonly exporter: IstioExporter;
  readonly prometheus: RunningPrometheus;
}

export async function prometheusSuite(what: string): Promise<PrometheusSuite> {
  const binary = await ensurePrometheusBinary();
  if ('skip' in binary) console.warn(`${what} skipped: ${binary.skip}`);
  let exporter: IstioExporter | undefined;
  let prometheus: RunningPrometheus | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the Prometheus suite was not started');
    return value;
  };
  return {
    describe: 'skip' in binary ? describe.skip : describe,
    start(traffic, ready) {
      beforeAll(async () => {
        if ('skip' in binary) return;
        exporter = await startIstioExporter(traffic);
        prometheus = await startPrometheus(binary.path, [exporter.target]);
        await prometheus.waitForSamples(ready);
      }, 120_000);
      afterAll(async () => {
        await prometheus?.close();
        await exporter?.close();
      });
    },
    get exporter() {
      return started(exporter);
    },
    get prometheus() {
      return started(prometheus);
    },
  };
}

/** The comparison options the tests start from: 1 point of errors, 20 % latency, a minute at most. */
export function testComparison(overrides: Partial<ComparisonOptions> = {}): ComparisonOptions {
  return {
    maxErrorRateIncrease: 1,
    maxLatencyIncrease: 20,
    confidence: 0.95,
    maxDurationSeconds: 60,
    onInconclusive: 'fail',
    ...overrides,
  };
}
