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
 * Collects text as UTF-8 in 64 KiB buffers. A scrape of many services is tens of megabytes: kept
 * as JavaScript strings it would be a rope the garbage collector walks again and again (most of
 * the scrape's time, measured); written into buffers as it goes, it lives outside the JS heap.
 */
export class ByteWriter {
  readonly #chunks: Buffer[] = [];
  #buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  #pos = 0;

  write(text: string): void {
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

  /** Appends bytes written before (a cached rendering). */
  writeBytes(bytes: Buffer): void {
    if (this.#pos + bytes.length > CHUNK_BYTES) {
      this.#flush();
      if (bytes.length > CHUNK_BYTES) {
        this.#chunks.push(bytes);
        return;
      }
    }
    this.#pos += bytes.copy(this.#buf, this.#pos);
  }

  /** Every byte written so far, in order. The writer is spent afterwards. */
  finish(): Buffer[] {
    this.#flush();
    return this.#chunks;
  }

  #flush(): void {
    if (this.#pos === 0) return;
    this.#chunks.push(this.#buf.subarray(0, this.#pos));
    this.#buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.#pos = 0;
  }
}
