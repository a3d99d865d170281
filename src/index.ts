/**
 * breakwater: circuit breakers owned by one supervisor, with calls isolated in per-service
 * worker-thread pools. Named exports only.
 */

export * from './errors.ts';
export type * from './events.ts';
export type { TripPolicy, TripReason, WindowStats } from './policy/types.ts';
export { type PresetName, presets } from './presets.ts';
export type { AnyFunction, HandlerArgs, ServiceProxy } from './proxy.ts';
export { connectSupervisor, type RemoteCallOptions, type SupervisorClient } from './remote/client.ts';
export type { Work } from './supervisor/inline.ts';
export { Supervisor } from './supervisor/supervisor.ts';
export type { CloseOptions } from './supervisor/supervisor-options.ts';
export { type Clock, systemClock, type TimerHandle } from './time/clock.ts';
export { ManualClock } from './time/manual-clock.ts';
export type * from './types.ts';
