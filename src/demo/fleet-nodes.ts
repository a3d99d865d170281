/**
 * Starts fleet nodes (fleet-node.ts) in child processes and waits on what they report: every wait
 * is on a message, never a sleep. Used by the fleet demo, the fleet tests and the bench. A kill
 * timer per child is a safety net only.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// From the sources (tsx) the node is a .ts file run with tsx's loader; from dist/, plain .js.
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const NODE_SCRIPT = fileURLToPath(
  new URL(FROM_SOURCES ? './fleet-node.ts' : './fleet-node.js', import.meta.url),
);

export interface NodeMessage {
  readonly type: string;
  readonly node: string;
  readonly [key: string]: unknown;
}

export interface NodeConfig {
  readonly openMs?: number;
  readonly maxCalls?: number;
  readonly quorum?: number;
  readonly leaseMs?: number;
  readonly heartbeatMs?: number;
  /** Safety net: the child is killed after this long. @default 120_000 */
  readonly killAfterMs?: number;
}

/** One node process. */
export class FleetNodeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly messages: NodeMessage[] = [];
  readonly #waiters: {
    test: (m: NodeMessage) => boolean;
    resolve: (m: NodeMessage) => void;
    reject: (e: Error) => void;
  }[] = [];
  #exited = false;
  readonly #killer: NodeJS.Timeout;

  constructor(url: string, prefix: string, name: string, config: NodeConfig) {
    this.name = name;
    this.child = fork(NODE_SCRIPT, [url, prefix, name, JSON.stringify(config)], {
      execArgv: FROM_SOURCES ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#killer = setTimeout(() => this.child.kill('SIGKILL'), config.killAfterMs ?? 120_000);
    this.#killer.unref();
    this.child.on('message', (m: NodeMessage) => {
      this.messages.push(m);
      for (let i = this.#waiters.length - 1; i >= 0; i--) {
        const w = this.#waiters[i]!;
        if (w.test(m)) {
          this.#waiters.splice(i, 1);
          w.resolve(m);
        }
      }
    });
    this.child.once('exit', (code, signal) => {
      this.#exited = true;
      clearTimeout(this.#killer);
      for (const w of this.#waiters.splice(0)) w.reject(new Error(`${name} exited (${code ?? signal})`));
    });
  }

  /** The first message from index `from` on (already received or coming) that passes `test`. */
  next(test: (m: NodeMessage) => boolean, from = 0): Promise<NodeMessage> {
    const seen = this.messages.slice(from).find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.#exited) return Promise.reject(new Error(`${this.name} has exited`));
    return new Promise((resolve, reject) => this.#waiters.push({ test, resolve, reject }));
  }

  /** The next stateChange to `to` (from now on, unless `from` is given). */
  state(to: string, from = this.messages.length): Promise<NodeMessage> {
    return this.next((m) => m.type === 'event' && m.event === 'stateChange' && m.to === to, from);
  }

  event(name: string, from = this.messages.length): Promise<NodeMessage> {
    return this.next((m) => m.type === 'event' && m.event === name, from);
  }

  send(m: object): Promise<NodeMessage> {
    const from = this.messages.length;
    const cmd = (m as { cmd: string }).cmd;
    this.child.send(m);
    return this.next((r) => r.type === 'ack' && r.cmd === cmd, from);
  }

  async report(): Promise<NodeMessage> {
    const from = this.messages.length;
    this.child.send({ cmd: 'report' });
    return this.next((r) => r.type === 'report', from);
  }

  /** Transitions this node reported, as `from->to:reason`. */
  transitions(): string[] {
    return this.messages.flatMap((m) =>
      m.type === 'event' && m.event === 'stateChange' ? [`${m.from}->${m.to}:${m.reason}`] : [],
    );
  }

  kill(): Promise<void> {
    if (this.#exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ cmd: 'close' });
    await exited;
  }
}

/** `n` nodes on one prefix, each ready (connected, shared state read). */
export async function startFleetNodes(
  url: string,
  prefix: string,
  n: number,
  config: NodeConfig = {},
): Promise<FleetNodeProcess[]> {
  const nodes = Array.from({ length: n }, (_, i) => new FleetNodeProcess(url, prefix, `p${i}`, config));
  await Promise.all(nodes.map((node) => node.next((m) => m.type === 'ready')));
  return nodes;
}
