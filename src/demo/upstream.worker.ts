/**
 * Worker handlers of the demo: each call makes a real HTTP request to the local flaky upstream and
 * parses its body in the worker thread, so slow or expensive responses never touch the main
 * thread's event loop. Named exports are the handlers; the trailing `signal` is the runtime's.
 */

/** Raised for a non-2xx answer; `status` survives the thread boundary as an own field. */
export class UpstreamStatusError extends Error {
  readonly code = 'ERR_UPSTREAM_STATUS';
  readonly status: number;
  constructor(url: string, status: number) {
    super(`upstream ${new URL(url).pathname} answered ${status}`);
    this.status = status;
  }
}

export interface UpstreamSummary {
  readonly endpoint: string;
  readonly phase: string;
  readonly items: number;
  readonly topScore: number;
}

/** Answers at once: the demo calls it once per pool to start its threads before the load. */
export function ping(): 'pong' {
  return 'pong';
}

/** GETs `url`, parses the JSON and returns a small summary of it. */
export async function fetchSummary(url: string, signal?: AbortSignal): Promise<UpstreamSummary> {
  const res = await fetch(url, signal === undefined ? {} : { signal });
  if (!res.ok) {
    await res.body?.cancel();
    throw new UpstreamStatusError(url, res.status);
  }
  const body = (await res.json()) as { endpoint: string; phase: string; items: { score: number }[] };
  let top = 0;
  for (const item of body.items) top = Math.max(top, item.score);
  return { endpoint: body.endpoint, phase: body.phase, items: body.items.length, topScore: top };
}
