/**
 * Progress on stderr (stdout stays clean for `--json`): a line per scenario, and a bar for the
 * group being measured when stderr is a terminal (plain lines otherwise, e.g. in CI logs).
 */
import { performance } from 'node:perf_hooks';

export interface Progress {
  /** A scenario starts. */
  scenario(name: string, title: string): void;
  /** `done` of `total` steps of a measurement group are finished. */
  step(label: string, done: number, total: number): void;
  /** A free-form line (a result, a note). */
  line(text: string): void;
  /** The scenario finished. */
  end(name: string): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let started = performance.now();
  let barShown = false;
  const clearBar = (): void => {
    if (barShown) {
      stream.write('\r\x1b[K');
      barShown = false;
    }
  };
  return {
    scenario(name, title) {
      clearBar();
      started = performance.now();
      stream.write(`▶ ${name}: ${title}\n`);
    },
    step(label, done, total) {
      if (!tty) {
        if (done === total) stream.write(`  ✓ ${label}\n`);
        return;
      }
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      stream.write(
        `\r\x1b[K  [${'█'.repeat(filled)}${'·'.repeat(width - filled)}] ${done}/${total} ${label}`,
      );
      barShown = true;
      if (done === total) {
        clearBar();
        stream.write(`  ✓ ${label}\n`);
      }
    },
    line(text) {
      clearBar();
      stream.write(`  ${text}\n`);
    },
    end(name) {
      clearBar();
      stream.write(`✔ ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    },
  };
}

/** Progress that prints nothing (tests). */
export const silentProgress: Progress = { scenario() {}, step() {}, line() {}, end() {} };
