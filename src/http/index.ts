/**
 * `breakwater/http`: the admin HTTP server (health, Prometheus metrics, Server-Sent Events, control
 * endpoints and the live dashboard).
 */
export type { AdminServerOptions } from './options.ts';
export { HttpErrorCode } from './respond.ts';
export { type AdminServer, type AdminServerAddress, createAdminServer } from './server.ts';
export type { AdminSupervisor, ControlOptions } from './types.ts';
