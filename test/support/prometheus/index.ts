export { ensurePrometheusBinary, PROMETHEUS_BINARY, type PrometheusBinary } from './binary.js';
export {
  startIstioExporter,
  goodCanary,
  badCanary,
  type IstioExporter,
  type WorkloadTraffic,
} from './istio-exporter.js';
export { startPrometheus, type RunningPrometheus } from './server.js';
