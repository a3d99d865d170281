/**
 * Handlers for the soak (RELIABILITY.md scenario 21): every way a worker call can end.
 * Plain JavaScript: the soak measures breakwater, not a TypeScript loader.
 */

/** Succeeds with its input. */
export function ok(i) {
  return i;
}

/** Fails with a coded error (its code and fields must survive the thread boundary). */
export function fail(i) {
  throw Object.assign(new Error(`call ${i} failed`), { code: 'E_SOAK', call: i });
}

/** Outlives any soak call timeout; the pool must terminate the thread. */
export function hang() {
  return new Promise((resolve) => setTimeout(resolve, 60_000));
}

/** The thread dies in the middle of the call. */
export function crash() {
  setImmediate(() => process.exit(7));
  return new Promise(() => {});
}
