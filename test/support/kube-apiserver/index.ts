// The Kubernetes API server stand-in: the entry point tests import.
export { startApiServer } from './server.js';
export type { ApiServer, RequestLogEntry, StartOptions, TestStore } from './server.js';
export type { RbacRule } from './auth.js';
export type { Faults, FaultMatch, WriteAttempt } from './faults.js';
export type { Workloads } from './workloads.js';
export type { Istiod } from './istiod.js';
