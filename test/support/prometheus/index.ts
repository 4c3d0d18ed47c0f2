export { ensurePrometheusBinary, PROMETHEUS_BINARY, type PrometheusBinary } from './binary.js';
export {
  startIstioExporter,
  goodCanary,
  badCanary,
  reviewsRelease,
  type IstioExporter,
  type WorkloadTraffic,
} from './istio-exporter.js';
export { startPrometheus, type RunningPrometheus } from './server.js';
export { prometheusSuite, testComparison, type PrometheusSuite } from './suite.js';
