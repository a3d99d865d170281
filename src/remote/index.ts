/**
 * The supervisor, reachable from other threads: `Supervisor.connect()` exposes it on a
 * MessagePort with comlink; `connectSupervisor(port)` in another worker thread gives a typed
 * client. Typed errors keep their codes across the connection.
 */
export { connectSupervisor, type RemoteCallOptions, type SupervisorClient } from './client.ts';
export { exposeSupervisor, openConnection, type RemoteConnection, type RemoteTarget } from './expose.ts';
export { installTransferHandlers } from './wire.ts';
