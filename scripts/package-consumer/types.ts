// Type-checked by scripts/check-package.ts in a consumer project (strict, exactOptionalPropertyTypes,
// lib ES2023 only, no skipLibCheck), once under `module: nodenext` and once under
// `moduleResolution: bundler`. The @ts-expect-error lines prove the types are real, not `any`.
import {
  type BreakerOptions,
  type CircuitState,
  type Clock,
  isCircuitOpenError,
  ManualClock,
  presets,
  type Result,
  type ServiceOptions,
  Supervisor,
  systemClock,
  type TripPolicy,
  type Work,
} from 'breakwater';
import { type AdminServerOptions, createAdminServer, HttpErrorCode } from 'breakwater/http';

const clock: Clock = process.env.MANUAL_CLOCK === undefined ? systemClock : new ManualClock();
const sup = new Supervisor({ clock, logger: undefined, captureStacks: undefined });

// Optional options accept `undefined` (values read from the environment, spread from elsewhere).
const timeout = process.env.TIMEOUT_MS === undefined ? undefined : Number(process.env.TIMEOUT_MS);
const breaker: BreakerOptions = { ...presets.default, callTimeoutMs: timeout, isFailure: undefined };
const options: ServiceOptions<string> = { breaker, fallback: undefined, fallbackOnFailure: undefined };
sup.register('inline', options);

const work: Work<string> = async (signal) => (signal.aborted ? 'aborted' : 'done');
const value: string = await sup.run('inline', work, { signal: undefined, timeoutMs: timeout });
const result: Result<string> = await sup.runResult('inline', () => 'sync');
if (!result.ok && isCircuitOpenError(result.error)) console.log(result.error.retryAfterMs, value);

const buffer = new ArrayBuffer(8);
sup.register('pool', {
  worker: new URL('./handlers.mjs', import.meta.url),
  threads: { min: 1, max: undefined },
});
await sup.call('pool', 'add', [buffer], { transferList: [buffer], timeoutMs: undefined });

const admin: AdminServerOptions = { token: process.env.BREAKWATER_ADMIN_TOKEN, port: undefined };
const server = createAdminServer(sup, admin);
const notFound: string = HttpErrorCode.NotFound;
const state: CircuitState = sup.state('inline');
console.log(sup.has('inline'), sup.services(), notFound, state, server.url);

// A custom trip policy must say what it is and whether successes need the time.
const policy: Pick<TripPolicy, 'kind' | 'needsTimeOnSuccess'> = { kind: 'custom', needsTimeOnSuccess: false };
console.log(policy);

// @ts-expect-error a service name is a string
sup.register(42);
// @ts-expect-error run() returns the work's type
const wrong: number = await sup.run('inline', () => 'text');
console.log(wrong);
await sup.close();
