/**
 * The same tiny task for every worker case (breakwater, bare piscina, raw postMessage): the
 * length of the payload. Plain JavaScript so no case pays for a TypeScript loader in its thread.
 */

/** breakwater calls the named export. */
export function size(payload) {
  return typeof payload === 'string' ? payload.length : 0;
}

/** piscina calls the default export with the task. */
export default function task(payload) {
  return size(payload);
}
