/**
 * The default engine: one piscina task per call. Our balancer picks the thread (least busy, never
 * one we are terminating) and records it on the call, which is how a call that times out can
 * terminate exactly the thread that runs it, with no AbortSignal per call (BENCH.md: ~3.8 µs
 * each). The call rides through piscina's queue under `Piscina.queueOptionsSymbol`, a
 * symbol-keyed property that structured clone leaves behind.
 *
 * Calls handed over while every thread slot is taken wait in piscina's queue, so piscina posts
 * the next one as soon as a thread reports a result. Such a call carries a `Withdrawal`, the
 * light emitter piscina accepts as `signal`, so a caller who gives up takes it out of piscina's
 * queue at once (and frees its slot) instead of leaving a no-op for a thread to run.
 */
import type { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { Phase, type PoolCall } from './call.ts';
import type { Engine, EngineSink } from './engine.ts';
import type { Balancer, PoolHost } from './host.ts';
import { outcomeOfMark, type TaskMessage } from './protocol.ts';
import type { ThreadState } from './threads.ts';

const kCall: symbol = Piscina.queueOptionsSymbol;

type Task = TaskMessage & { [kCall]: PoolCall };
type RunOptions = NonNullable<Parameters<Piscina['run']>[1]>;

/**
 * piscina's emitter-style `signal` (`once`/`off`; its code calls `removeListener`). Fired only
 * while the call is still in piscina's queue: piscina then drops the task and rejects its
 * promise. (Fired on a running task, piscina would kill the thread; the balancer marks a call
 * Running before piscina posts it, and `skip` is only for calls not yet Running.)
 */
class Withdrawal {
  readonly aborted = false;
  #listener: (() => void) | undefined;

  once(_event: 'abort', listener: () => void): void {
    this.#listener = listener;
  }

  off(): void {
    this.#listener = undefined;
  }

  removeListener(): void {
    this.#listener = undefined;
  }

  withdraw(): void {
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
  }
}

export class TaskEngine implements Engine {
  readonly #sink: EngineSink;
  readonly #conc: number;
  readonly #cancels: BroadcastChannel;
  readonly #started: Int32Array;
  #host!: PoolHost;

  constructor(sink: EngineSink, concurrency: number, cancels: BroadcastChannel, started: Int32Array) {
    this.#sink = sink;
    this.#conc = concurrency;
    this.#cancels = cancels;
    this.#started = started;
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
      // piscina's count of the thread's unanswered tasks, not ours: when a result arrives piscina
      // drops the task and asks us for the next one before our own books see the result (a
      // microtask later), and a call waiting in its queue must not be refused then. piscina says
      // Infinity for a thread whose one task carries a signal (a Withdrawal): that is one task.
      const usage = w.currentUsage;
      const load = usage === Number.POSITIVE_INFINITY ? 1 : usage;
      if (load < bestLoad) {
        best = w;
        bestThread = t;
        bestLoad = load;
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

  dispatch(call: PoolCall, ahead: boolean): void {
    const gen = this.#host.current();
    if (gen === undefined) throw new Error('breakwater: dispatch without a running pool');
    const args = call.args;
    const task = [call.slot, call.handler] as unknown as Task;
    for (let i = 0; i < args.length; i++) task.push(args[i]);
    task[kCall] = call;
    call.task = task;
    call.gen = gen;
    const transferList = call.transferList as RunOptions['transferList'];
    let run: Promise<unknown>;
    if (ahead) {
      const withdrawal = new Withdrawal();
      call.withdrawal = withdrawal;
      run = gen.piscina.run(
        task,
        transferList === undefined ? { signal: withdrawal } : { signal: withdrawal, transferList },
      );
    } else {
      run = transferList === undefined ? gen.piscina.run(task) : gen.piscina.run(task, { transferList });
    }
    const started = this.#started;
    run.then(
      // The worker wrote how the call ended into its slot before posting the result.
      (value: unknown) => this.#sink.outcome(call, outcomeOfMark(Atomics.load(started, call.slot)), value),
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
    if (call.phase !== Phase.Dispatched) return;
    if (call.withdrawal !== null) call.withdrawal.withdraw();
    else if (call.task !== null) call.task[1] = '';
  }

  threadExited(_thread: ThreadState): void {}

  utilization(running: number): number {
    const max = this.#host.generation?.piscina.maxThreads ?? 1;
    return Math.min(1, running / (max * this.#conc));
  }

  close(): void {}
}
