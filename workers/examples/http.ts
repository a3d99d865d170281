/**
 * Example handlers: HTTP calls made from a worker thread with the global fetch. The response is
 * read and parsed in the worker, so a large or slow upstream costs the main thread nothing. The
 * trailing `signal` parameter receives the call's AbortSignal (aborted when the caller aborts).
 */

export class HttpError extends Error {
  readonly status: number;
  readonly url: string;
  constructor(status: number, url: string) {
    super(`GET ${url} answered ${status}`);
    this.status = status;
    this.url = url;
  }
}

export interface FetchResult<T> {
  readonly status: number;
  readonly body: T;
}

/** GETs `url` and parses its JSON body; a non-2xx answer throws HttpError (code HTTP_<status>). */
export async function fetchJson(url: string, signal?: AbortSignal): Promise<FetchResult<unknown>> {
  const response = await fetch(url, signal === undefined ? {} : { signal });
  if (!response.ok) {
    await response.body?.cancel();
    throw Object.assign(new HttpError(response.status, url), { code: `HTTP_${response.status}` });
  }
  return { status: response.status, body: (await response.json()) as unknown };
}

/** GETs `url` and returns its status and body text. */
export async function fetchText(url: string, signal?: AbortSignal): Promise<FetchResult<string>> {
  const response = await fetch(url, signal === undefined ? {} : { signal });
  return { status: response.status, body: await response.text() };
}
