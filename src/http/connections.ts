/**
 * Connection cap of the admin server. Node's own `server.maxConnections` refuses the *new*
 * connection once the cap is reached, so a flood of idle or half-sent sockets (slowloris) would
 * lock every probe out. Here the cap evicts instead: when a connection arrives past the cap, the
 * oldest connection that is not serving a request (an idle keep-alive socket, or one that never
 * finished sending its request head) is destroyed to make room. A connection in the middle of a
 * request, or an `/events` stream (capped separately by `maxSseClients`), is never evicted; only
 * when every connection is busy is the newcomer refused.
 *
 * Sockets that send nothing, or a head that never ends, are also closed by the server's
 * `headersTimeout`/`requestTimeout`; the cap bounds what they can hold in between.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface Tracked {
  /** Requests on this socket that have not finished their response. */
  active: number;
}

/** Tracks the server's sockets; `install()` wires it to a server. */
export class ConnectionGuard {
  readonly #max: number;
  /** Insertion order is age: the first idle entry is the oldest idle connection. */
  readonly #sockets = new Map<Socket, Tracked>();
  #evicted = 0;
  #refused = 0;

  constructor(maxConnections: number) {
    this.#max = maxConnections;
  }

  /** Open connections. */
  get size(): number {
    return this.#sockets.size;
  }

  /** Connections destroyed to make room for newer ones, since the server was made. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Connections refused because every other one was busy. */
  get refused(): number {
    return this.#refused;
  }

  install(server: Server): void {
    server.on('connection', (socket: Socket) => this.#onConnection(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res));
  }

  #onConnection(socket: Socket): void {
    if (this.#sockets.size >= this.#max && !this.#evictOne()) {
      this.#refused++;
      socket.destroy();
      return;
    }
    this.#sockets.set(socket, { active: 0 });
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const tracked = this.#sockets.get(req.socket);
    if (tracked === undefined) return;
    tracked.active++;
    // Moved to the end: a socket that just served a request is the last one to evict.
    this.#sockets.delete(req.socket);
    this.#sockets.set(req.socket, tracked);
    res.once('close', () => {
      tracked.active--;
    });
  }

  /** Destroys the oldest connection without a request in progress. False when there is none. */
  #evictOne(): boolean {
    for (const [socket, tracked] of this.#sockets) {
      if (tracked.active > 0) continue;
      this.#sockets.delete(socket);
      this.#evicted++;
      socket.destroy();
      return true;
    }
    return false;
  }
}
