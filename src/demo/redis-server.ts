/**
 * A real redis-server (the Debian package) for the fleet demo, the fleet tests and the bench:
 * started on a free 127.0.0.1 port with its own temp dir, stopped (or killed, and started again on
 * the same port and dir). Readiness is the server's own "Ready to accept connections" line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisServerOptions {
  /** Keep data across a restart (append-only file, fsync always). @default false */
  readonly persist?: boolean;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; we release it for redis-server to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #persist: boolean;
  #child: ChildProcess | undefined;
  #log = '';

  private constructor(port: number, dir: string, persist: boolean) {
    this.port = port;
    this.dir = dir;
    this.#persist = persist;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    if (!existsSync(REDIS_SERVER)) {
      throw new Error(
        `${REDIS_SERVER} is missing: install the Debian package "redis-server" (apt-get install -y redis-server)`,
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'breakwater-redis-'));
    const server = new RedisServer(await freePort(), dir, options.persist ?? false);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts the server (again, on the same port and dir) and resolves once it accepts connections. */
  restart(): Promise<void> {
    if (this.#child !== undefined) return Promise.reject(new Error('redis-server is already running'));
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      this.#persist ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--daemonize',
      'no',
      '--loglevel',
      'notice',
    ];
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#log = '';
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.#log += chunk.toString('utf8');
        if (this.#log.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => {
        this.#log += chunk.toString('utf8');
      });
      child.once('exit', (code, signal) => {
        if (this.#child === child) this.#child = undefined;
        reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${this.#log}`));
      });
    });
  }

  /** SIGKILL: the server dies at once, as in a crash. Resolves once the process is gone. */
  kill(): Promise<void> {
    return this.#signal('SIGKILL');
  }

  /** Stops the server and removes its dir. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
      this.#child = undefined;
    });
  }
}
