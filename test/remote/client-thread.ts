/**
 * A worker thread running test/fixtures/remote-client.ts: a client of the central supervisor over
 * the port it is given. The tests drive it with one request, one answer.
 */
import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import { typeScriptExecArgv } from '../../src/pool/runtime-location.ts';

const fixture = (name: string): URL => new URL(`../fixtures/${name}`, import.meta.url);

/** Drives the client thread: one request, one answer. */
export class ClientThread {
  readonly worker: Worker;
  readonly events: { event: string; payload: Record<string, unknown> }[] = [];
  #next = 0;
  readonly #answers = new Map<number, (a: { ok: boolean; value?: unknown; error?: unknown }) => void>();
  #eventWaiters: { tag: string; count: number; resolve: () => void }[] = [];
  readonly ready: Promise<void>;

  constructor(connection: { port: MessagePort }) {
    this.worker = new Worker(fixture('remote-client.ts'), {
      workerData: { port: connection.port },
      transferList: [connection.port],
      execArgv: typeScriptExecArgv(),
    });
    this.ready = new Promise((resolve) => {
      this.worker.on('message', (m: { id?: number; ready?: boolean; event?: string; payload?: unknown }) => {
        if (m.ready === true) resolve();
        else if (m.event !== undefined) {
          this.events.push({ event: m.event, payload: m.payload as Record<string, unknown> });
          this.#eventWaiters = this.#eventWaiters.filter((w) => {
            if (this.events.filter((e) => e.event === w.tag).length < w.count) return true;
            w.resolve();
            return false;
          });
        } else if (m.id !== undefined) this.#answers.get(m.id)?.(m as never);
      });
    });
  }

  ask(op: string, ...args: unknown[]): Promise<{ ok: boolean; value?: unknown; error?: unknown }> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#answers.set(id, resolve);
      this.worker.postMessage({ id, op, args });
    });
  }

  async value(op: string, ...args: unknown[]): Promise<unknown> {
    const a = await this.ask(op, ...args);
    if (!a.ok) throw new Error(`${op} failed: ${JSON.stringify(a.error)}`);
    return a.value;
  }

  async error(op: string, ...args: unknown[]): Promise<Record<string, unknown>> {
    const a = await this.ask(op, ...args);
    if (a.ok) throw new Error(`${op} succeeded: ${JSON.stringify(a.value)}`);
    return a.error as Record<string, unknown>;
  }

  untilEvents(tag: string, count: number): Promise<void> {
    if (this.events.filter((e) => e.event === tag).length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#eventWaiters.push({ tag, count, resolve }));
  }
}
