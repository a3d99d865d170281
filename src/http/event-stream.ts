/**
 * `GET /events`: Server-Sent Events fan-out of supervisor events.
 *
 * - Every `stateChange` is sent as `event: stateChange` with an id `<instance>-<seq>`: `instance`
 *   is random per server (a restarted process, or a second server, never reuses it) and `seq` grows
 *   by one per change. The last `bufferSize` are kept in a ring buffer and replayed to a client
 *   that reconnects with `Last-Event-ID` (or `?lastEventId=`; `0` asks a first connection for the
 *   whole buffer). A client whose id is older than the buffer, or comes from another instance (or
 *   is malformed), first gets `event: gap` — it missed changes and should re-read `/health` — and
 *   then every change this instance still holds.
 * - Call outcomes (`callSucceeded`, `callFailed`, `callRejected`, `callTimedOut`, `fallback`,
 *   `lateResult`) are sent only to clients that asked with `?calls=1`, without an id and never
 *   replayed. The hub listens for them only while such a client is connected, so per-call events
 *   cost nothing when nobody watches them here.
 * - A heartbeat comment every `heartbeatMs` keeps proxies from closing idle streams.
 * - Streams are capped; a client that stops reading is dropped once its buffer passes 1 MiB.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CALL_EVENTS, type StateChangeEvent, type SupervisorEventName } from '../events.ts';
import type { Clock, TimerHandle } from '../time/clock.ts';
import { BASE_HEADERS } from './respond.ts';
import type { AdminSupervisor } from './types.ts';

/** A slow client is dropped when this much output is waiting for it. */
const MAX_PENDING_BYTES = 1 << 20;
/** Browsers wait this long before reconnecting a dropped EventSource. */
const RETRY_MS = 2_000;

type CallEventName = (typeof CALL_EVENTS)[number];

interface Client {
  readonly res: ServerResponse;
  readonly calls: boolean;
}

interface Buffered {
  readonly id: number;
  readonly frame: string;
}

export interface EventStreamOptions {
  readonly maxClients: number;
  readonly bufferSize: number;
  readonly heartbeatMs: number;
  readonly clock: Clock;
}

/** Payload fields safe to send: errors become `{ name, code, message }`, never a stack. */
function toWire(payload: object): object {
  const error = (payload as { error?: unknown }).error;
  if (error === undefined) return payload;
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | null;
  const wire =
    typeof e === 'object' && e !== null
      ? {
          name: typeof e.name === 'string' ? e.name : 'Error',
          code: typeof e.code === 'string' ? e.code : undefined,
          message: typeof e.message === 'string' ? e.message : '',
        }
      : { name: 'Error', code: undefined, message: String(error) };
  return { ...payload, error: wire };
}

export class EventStreamHub {
  readonly #sup: AdminSupervisor;
  readonly #options: EventStreamOptions;
  readonly #clients = new Set<Client>();
  /** Ring buffer of the last `bufferSize` state changes, oldest first once wrapped. */
  readonly #ring: (Buffered | undefined)[];
  #ringNext = 0;
  #lastId = 0;
  /** Names this server instance in every id (10 base-32 characters of randomness). */
  readonly #instance = instanceId();
  #callClients = 0;
  #started = false;
  #heartbeat: TimerHandle | undefined;
  readonly #callListeners = new Map<CallEventName, (payload: object) => void>();

  constructor(sup: AdminSupervisor, options: EventStreamOptions) {
    this.#sup = sup;
    this.#options = options;
    this.#ring = new Array<Buffered | undefined>(options.bufferSize).fill(undefined);
    for (const event of CALL_EVENTS) {
      this.#callListeners.set(event, (payload) => this.#broadcastCall(event, payload));
    }
  }

  /** Open streams. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Id of the last state change sent (`<instance>-0` before the first). */
  get lastEventId(): string {
    return `${this.#instance}-${this.#lastId}`;
  }

  /** This server instance's part of every event id. */
  get instance(): string {
    return this.#instance;
  }

  /** Starts recording state changes (so they can be replayed to clients that connect later). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#sup.on('stateChange', this.#onStateChange);
  }

  /** Ends every stream and removes every listener and timer. */
  stop(): void {
    if (!this.#started) return;
    this.#started = false;
    this.#sup.off('stateChange', this.#onStateChange);
    for (const client of [...this.#clients]) {
      this.#remove(client);
      client.res.end();
    }
  }

  /**
   * Takes over `res` as a stream. Returns false (and leaves `res` alone) when the cap is reached
   * or the hub is stopped, so the caller answers 503.
   */
  accept(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (!this.#started || this.#clients.size >= this.#options.maxClients) return false;
    const client: Client = { res, calls: url.searchParams.get('calls') === '1' };
    const fromHeader = req.headers['last-event-id'];
    const lastSeen = typeof fromHeader === 'string' ? fromHeader : url.searchParams.get('lastEventId');

    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    this.#clients.add(client);
    res.once('close', () => this.#remove(client));
    if (client.calls && ++this.#callClients === 1) this.#subscribeCalls();
    if (this.#clients.size === 1) this.#armHeartbeat();

    let head = `retry: ${RETRY_MS}\n: connected\n\n`;
    if (lastSeen !== null && lastSeen !== '') head += this.#replay(lastSeen.trim());
    this.#write(client, head);
    return true;
  }

  #replay(lastSeen: string): string {
    const entries = this.#buffered();
    const oldest = entries[0]?.id ?? this.#lastId + 1;
    // `0`: a first connection asking for the whole buffer. Otherwise only an id of this instance,
    // within what the buffer holds, can be continued without a gap.
    const seq = lastSeen === '0' ? 0 : this.#ownSeq(lastSeen);
    let out = '';
    if (seq === undefined || seq > this.#lastId || seq < oldest - 1) {
      out += `event: gap\ndata: ${JSON.stringify({ lastEventId: lastSeen.slice(0, 64), oldestBufferedId: `${this.#instance}-${oldest}` })}\n\n`;
    }
    const from = seq === undefined || seq > this.#lastId ? 0 : seq;
    for (const entry of entries) if (entry.id > from) out += entry.frame;
    return out;
  }

  /** The sequence number of an id of this instance; `undefined` for another instance or garbage. */
  #ownSeq(id: string): number | undefined {
    const dash = id.lastIndexOf('-');
    if (dash < 0 || id.slice(0, dash) !== this.#instance) return undefined;
    const digits = id.slice(dash + 1);
    return /^\d{1,15}$/.test(digits) ? Number(digits) : undefined;
  }

  /** Buffered state changes, oldest first. */
  #buffered(): Buffered[] {
    const size = this.#ring.length;
    const out: Buffered[] = [];
    for (let i = 0; i < size; i++) {
      const entry = this.#ring[(this.#ringNext + i) % size];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }

  readonly #onStateChange = (e: StateChangeEvent): void => {
    const id = ++this.#lastId;
    const frame = `id: ${this.#instance}-${id}\nevent: stateChange\ndata: ${JSON.stringify(e)}\n\n`;
    this.#ring[this.#ringNext] = { id, frame };
    this.#ringNext = (this.#ringNext + 1) % this.#ring.length;
    for (const client of this.#clients) this.#write(client, frame);
  };

  #broadcastCall(event: SupervisorEventName, payload: object): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(toWire(payload))}\n\n`;
    for (const client of this.#clients) if (client.calls) this.#write(client, frame);
  }

  #write(client: Client, chunk: string): void {
    const { res } = client;
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > MAX_PENDING_BYTES) {
      // The client stopped reading: drop it rather than buffer without bound.
      res.destroy();
      return;
    }
    res.write(chunk);
  }

  #remove(client: Client): void {
    if (!this.#clients.delete(client)) return;
    if (client.calls && --this.#callClients === 0) this.#unsubscribeCalls();
    if (this.#clients.size === 0) this.#disarmHeartbeat();
  }

  #subscribeCalls(): void {
    for (const [event, listener] of this.#callListeners) this.#sup.on(event, listener);
  }

  #unsubscribeCalls(): void {
    for (const [event, listener] of this.#callListeners) this.#sup.off(event, listener);
  }

  #armHeartbeat(): void {
    const { heartbeatMs, clock } = this.#options;
    if (heartbeatMs === 0 || this.#heartbeat !== undefined) return;
    this.#heartbeat = clock.setTimeout(this.#onHeartbeat, heartbeatMs);
  }

  #disarmHeartbeat(): void {
    if (this.#heartbeat === undefined) return;
    this.#options.clock.clearTimeout(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  readonly #onHeartbeat = (): void => {
    this.#heartbeat = undefined;
    if (this.#clients.size === 0) return;
    for (const client of this.#clients) this.#write(client, ': heartbeat\n\n');
    this.#armHeartbeat();
  };
}

/** A random instance name: base-32 (lower case, digits), no `-`, so `<instance>-<seq>` splits once. */
function instanceId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  let out = '';
  for (const byte of randomBytes(10)) out += alphabet[byte & 31];
  return out;
}
