/**
 * Immediates scheduled by handler code and not yet run, counted by wrapping the thread's
 * setImmediate/clearImmediate (workers/runtime.ts installs it). A handler that ends its thread
 * right after returning (`setImmediate(() => process.exit())`) does it from one of these; calls
 * that arrive while any is pending wait until they ran, so the exit finds them not yet started and
 * the pool runs them elsewhere instead of blaming them. Counting costs nothing for handlers that
 * never schedule immediates, unlike deferring every call by one event-loop turn.
 */
let pending = 0;
/** The thread's own setImmediate, for the runtime's scheduling (not counted). */
export const nativeSetImmediate = globalThis.setImmediate;
const nativeClearImmediate = globalThis.clearImmediate;
const settleImmediate = new WeakMap<object, () => void>();

/** Immediates scheduled by handlers that have not run yet. */
export function pendingImmediates(): number {
  return pending;
}

/** Wraps the global setImmediate/clearImmediate so `pendingImmediates()` counts. */
export function countImmediates(): void {
  globalThis.setImmediate = Object.assign(
    <A extends unknown[]>(callback: (...args: A) => void, ...args: A): NodeJS.Immediate => {
      pending++;
      let live = true;
      const done = (): void => {
        if (live) {
          live = false;
          pending--;
        }
      };
      const immediate = nativeSetImmediate(() => {
        done();
        callback(...args);
      });
      settleImmediate.set(immediate, done);
      return immediate;
    },
    { __promisify__: nativeSetImmediate.__promisify__ },
  ) as typeof setImmediate;
  globalThis.clearImmediate = (immediate: NodeJS.Immediate | string | number | undefined): void => {
    if (typeof immediate === 'object') settleImmediate.get(immediate)?.();
    nativeClearImmediate(immediate as NodeJS.Immediate);
  };
}
