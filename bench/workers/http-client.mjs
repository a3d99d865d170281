/**
 * breakwater's handler for the end-to-end scenario: fetch the upstream document and parse it here,
 * in the worker, returning only a small summary to the API server's thread.
 */
export async function summary(url) {
  const res = await fetch(url);
  if (!res.ok) throw Object.assign(new Error(`upstream answered ${res.status}`), { code: 'E_UPSTREAM' });
  return summarize(await res.json());
}

/** The work both servers do with the document. */
export function summarize(doc) {
  let total = 0;
  for (const item of doc.items) total += item.price;
  return { items: doc.items.length, total };
}
