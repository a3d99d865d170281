/**
 * Pieces of the Prometheus text exposition format (version 0.0.4), written by hand so a scrape of
 * many services can be built a slice at a time (see ../metrics.ts).
 */

/** The content type Prometheus expects for the text format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value with `\`, `"` and newlines escaped, as the format requires. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : value;
}

/** A HELP text with `\` and newlines escaped. */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value: `+Inf`, `-Inf` and `NaN` spelt the way the format wants them. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/** The `# HELP` and `# TYPE` lines of one metric family. */
export function familyHeader(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/** Size of the buffers a scrape is written into. */
const CHUNK_BYTES = 64 * 1024;
/**
 * Text gathered before it is encoded: one `Buffer.write` per line was most of a scrape's time
 * (measured), one per few dozen lines is not; small enough that its worst case (3 bytes per code
 * unit) rarely leaves a buffer part-filled.
 */
const TEXT_BATCH = 2048;

/**
 * The scrape buffers of one admin server, kept from one scrape to the next. A fresh 64 KiB buffer
 * is fresh memory: allocating it and touching its pages for the first time was about a third of a
 * 10,000-service scrape (measured), and the next scrape needs the same number again. A buffer
 * comes back only once every response that wrote it has been handed to the OS (see AdminMetrics).
 */
export class BufferPool {
  #free: Buffer[] = [];

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
  }

  /**
   * Takes back the buffers of an answer nothing reads any more. The pool keeps that answer's
   * buffers only (any still free are left to the garbage collector): one answer's worth, which
   * shrinks with the fleet.
   */
  give(buffers: readonly Buffer[]): void {
    this.#free = buffers.slice();
  }
}

/**
 * Collects text as UTF-8 in 64 KiB buffers. A scrape of many services is tens of megabytes: kept
 * as JavaScript strings it would be a rope the garbage collector walks again and again (most of
 * the scrape's time, measured); written into buffers as it goes, it lives outside the JS heap.
 */
export class ByteWriter {
  readonly #pool: BufferPool;
  readonly #chunks: Buffer[] = [];
  /** The pool's buffers this writer took, whole (chunks are their written part). */
  readonly #taken: Buffer[] = [];
  #buf: Buffer;
  #pos = 0;
  /** Text not yet encoded (below TEXT_BATCH code units). */
  #text = '';

  constructor(pool: BufferPool) {
    this.#pool = pool;
    this.#buf = this.#take();
  }

  write(text: string): void {
    this.#text += text;
    if (this.#text.length >= TEXT_BATCH) this.#encode();
  }

  /** Appends bytes written before (a cached rendering). */
  writeBytes(bytes: Buffer): void {
    if (this.#text !== '') this.#encode();
    if (this.#pos + bytes.length > CHUNK_BYTES) {
      this.#flush();
      if (bytes.length > CHUNK_BYTES) {
        this.#chunks.push(bytes);
        return;
      }
    }
    // TypedArray#set: Buffer#copy checks its arguments first, which cost more than the copy.
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /** Every byte written so far, in order. The writer is spent afterwards. */
  finish(): Buffer[] {
    if (this.#text !== '') this.#encode();
    if (this.#pos > 0) this.#chunks.push(this.#buf.subarray(0, this.#pos));
    return this.#chunks;
  }

  /**
   * The pool's buffers behind `finish()`'s chunks, to give back once they have been sent (the
   * chunks also hold buffers that are not the pool's: cached renderings, oversized text).
   */
  taken(): readonly Buffer[] {
    return this.#taken;
  }

  #encode(): void {
    const text = this.#text;
    this.#text = '';
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const worst = text.length * 3;
    if (this.#pos + worst > CHUNK_BYTES) {
      this.#flush();
      if (worst > CHUNK_BYTES) {
        this.#chunks.push(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.#pos += this.#buf.write(text, this.#pos, 'utf8');
  }

  #take(): Buffer {
    const b = this.#pool.take();
    this.#taken.push(b);
    return b;
  }

  #flush(): void {
    if (this.#pos === 0) return;
    this.#chunks.push(this.#buf.subarray(0, this.#pos));
    this.#buf = this.#take();
    this.#pos = 0;
  }
}
