/**
 * breakwater's handler for the end-to-end scenario: fetch the upstream document and parse it here,
 * in the worker, returning only a small summary to the API server's thread. It declares the
 * `signal` parameter, so the pool hands it the call's AbortSignal: a call that times out or is
 * aborted cancels its fetch and frees its slot. The inline (cockatiel) side does the same work
 * with `summarize` on the API server's thread.
 */
export async function summary(url, signal) {
  const res = await fetch(url, { signal });
  const text = await res.text();
  if (!res.ok) throw Object.assign(new Error(`upstream answered ${res.status}`), { code: 'E_UPSTREAM' });
  return summarize(JSON.parse(text));
}

/** The work both servers do with the document. */
export function summarize(doc) {
  let total = 0;
  for (const item of doc.items) total += item.price;
  return { items: doc.items.length, total };
}
