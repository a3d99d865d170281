/**
 * The default engine: one piscina task per call. Our balancer picks the thread (least busy, never
 * one we are terminating) and records it on the call, which is how a call that times out can
 * terminate exactly the thread that runs it, with no AbortSignal per call (BENCH.md: ~3.8 µs
 * each). The call rides through piscina's queue under `Piscina.queueOptionsSymbol`, a
 * symbol-keyed property that structured clone leaves behind.
 */
import type { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { Phase, type PoolCall } from './call.ts';
import type { Engine, EngineSink } from './engine.ts';
import type { Balancer, PoolHost } from './host.ts';
import type { TaskMessage } from './protocol.ts';
import type { ThreadState } from './threads.ts';

const kCall: symbol = Piscina.queueOptionsSymbol;

type Task = TaskMessage & { [kCall]: PoolCall };
type RunOptions = NonNullable<Parameters<Piscina['run']>[1]>;

export class TaskEngine implements Engine {
  readonly #sink: EngineSink;
  readonly #conc: number;
  readonly #cancels: BroadcastChannel;
  #host!: PoolHost;

  constructor(sink: EngineSink, concurrency: number, cancels: BroadcastChannel) {
    this.#sink = sink;
    this.#conc = concurrency;
    this.#cancels = cancels;
  }

  attach(host: PoolHost): void {
    this.#host = host;
  }

  readonly balancer: Balancer = (task, workers) => {
    const call = (task as unknown as Record<symbol, PoolCall | null | undefined>)[kCall] ?? null;
    const host = this.#host;
    let best: (typeof workers)[number] | null = null;
    let bestThread: ThreadState | undefined;
    let bestLoad = this.#conc;
    for (const w of workers) {
      const gen = host.generation;
      if (gen === undefined) break;
      if (w.id < 0) continue; // exited, about to be dropped by piscina
      const t = host.thread(w.id, gen);
      if (t.killedFor !== undefined || t.exited) continue;
      if (t.running < bestLoad) {
        best = w;
        bestThread = t;
        bestLoad = t.running;
        if (bestLoad === 0) break;
      }
    }
    if (bestThread !== undefined && call !== null) {
      bestThread.running++;
      call.thread = bestThread;
      this.#sink.started(call);
    }
    return best;
  };

  canDispatch(draining: boolean, dispatched: number): boolean {
    const host = this.#host;
    if (host.current() === undefined) return false;
    if (!draining) return true;
    // Draining: only threads that are up and have room (piscina would start one otherwise).
    let room = 0;
    for (const t of host.threads.values()) {
      if (t.ready && !t.exited && t.killedFor === undefined) room += this.#conc - t.running;
    }
    return room > dispatched;
  }

  dispatch(call: PoolCall): void {
    const gen = this.#host.current();
    if (gen === undefined) throw new Error('breakwater: dispatch without a running pool');
    const task = { h: call.handler, a: call.args, s: call.slot, [kCall]: call } as Task;
    call.task = task;
    call.gen = gen;
    const run =
      call.transferList === undefined
        ? gen.piscina.run(task)
        : gen.piscina.run(task, { transferList: call.transferList as RunOptions['transferList'] });
    run.then(
      (envelope: { k: 0; v: unknown }) => this.#sink.outcome(call, envelope.k, envelope.v),
      (error: unknown) => this.#sink.lost(call, error),
    );
  }

  finished(call: PoolCall): void {
    if (call.thread !== undefined) call.thread.running--;
  }

  cancel(call: PoolCall): void {
    this.#cancels.postMessage(call.slot);
  }

  skip(call: PoolCall): void {
    if (call.phase === Phase.Dispatched && call.task !== null) call.task.h = '';
  }

  threadExited(_thread: ThreadState): void {}

  utilization(running: number): number {
    const max = this.#host.generation?.piscina.maxThreads ?? 1;
    return Math.min(1, running / (max * this.#conc));
  }

  close(): void {}
}
