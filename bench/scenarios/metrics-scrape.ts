/**
 * `/metrics` with 10,000 services: how long one scrape takes end to end (a real HTTP GET on
 * 127.0.0.1, the body read and discarded), and the longest stretch the event loop was blocked
 * while it ran (`monitorEventLoopDelay`, 1 ms resolution, reset before each scrape). Every service
 * has had calls of each outcome, so every series it can have is in the answer (state, outcomes,
 * 15 transitions, duration histograms of success/failure/timeout, gauges).
 *
 * Goals: ≤0.5 s per scrape, never blocking the loop for more than ~50 ms at a stretch. The client
 * runs in the same process, so both figures include its work too (an upper bound for the server).
 */
import { request } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createAdminServer } from '../../src/http/index.ts';
import { Supervisor } from '../../src/index.ts';
import { formatBytes } from '../lib/format.ts';
import { single } from '../lib/ratios.ts';
import type { Scenario, ScenarioResult } from '../lib/scenario.ts';
import { summarize } from '../lib/stats.ts';

const SERVICES = 10_000;

/** One GET /metrics; lines are counted only when asked (scanning 70 MB is client work, not the server's). */
function scrape(
  url: string,
  countLines = false,
): Promise<{ readonly bytes: number; readonly lines: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/metrics`, { agent: false }, (res) => {
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (countLines) for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.once('end', () =>
        res.statusCode === 200 ? resolve({ bytes, lines }) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

export const metricsScrape: Scenario = {
  name: 'metrics-scrape',
  title: '/metrics with 10,000 services: scrape time and longest event-loop block',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const sup = new Supervisor();
    const admin = createAdminServer(sup);
    const { url } = await admin.listen();
    try {
      for (let i = 0; i < SERVICES; i++) sup.register(`service-${String(i).padStart(5, '0')}`);
      // One call of each outcome that has a duration, so every histogram series exists.
      const hang = (): Promise<never> => new Promise(() => {});
      for (const name of sup.services()) {
        await sup.run(name, async () => 1);
        await sup.runResult(name, async () => {
          throw new Error('down');
        });
        await sup.runResult(name, hang, { timeoutMs: 1 });
      }
      progress.step(`${SERVICES} services with calls`, 1, 1);

      const rounds = Math.max(3, cfg.rounds);
      // `changed`: one more call on every service since the last scrape (every histogram and
      // counter moved: nothing can be reused); `steady`: a second scrape right after it.
      const times = { changed: [] as number[], steady: [] as number[] };
      const blocks = { changed: [] as number[], steady: [] as number[] };
      const size = await scrape(url, true); // warm-up, and the answer's size
      const eld = monitorEventLoopDelay({ resolution: 1 });
      eld.enable();
      try {
        for (let r = 0; r < rounds; r++) {
          for (const name of sup.services()) await sup.run(name, async () => r);
          for (const kind of ['changed', 'steady'] as const) {
            eld.reset();
            const start = performance.now();
            await scrape(url);
            times[kind].push(performance.now() - start);
            // max is the longest delay of a 1 ms timer: the longest stretch the loop was blocked.
            blocks[kind].push(eld.max / 1e6);
          }
          progress.step('scrapes', r + 1, rounds);
        }
      } finally {
        eld.disable();
      }
      const t = summarize(times.changed);
      const b = summarize(blocks.changed);
      const ts = summarize(times.steady);
      const bs = summarize(blocks.steady);
      const ms = (n: number): string => `${n.toFixed(1)} ms`;
      return {
        name: 'metrics-scrape',
        title: metricsScrape.title,
        notes: [
          `${SERVICES} inline services, each with a success, a failure and a timeout recorded while the admin server listened.`,
          'A real GET /metrics on 127.0.0.1; the in-process client reads and discards the body. Each round makes one call on every service (untimed), then scrapes twice: "every service changed" (the goal figures) and "nothing changed".',
          'Longest block: max delay of a 1 ms monitorEventLoopDelay timer during the scrape (includes the client).',
        ],
        tables: [
          {
            title: `GET /metrics, ${SERVICES} services (${rounds} scrapes)`,
            header: ['figure', 'median', 'min', 'max'],
            rows: [
              ['scrape time, every service changed', ms(t.median), ms(t.min), ms(t.max)],
              ['longest event-loop block, every service changed', ms(b.median), ms(b.min), ms(b.max)],
              ['scrape time, nothing changed', ms(ts.median), ms(ts.min), ms(ts.max)],
              ['longest event-loop block, nothing changed', ms(bs.median), ms(bs.min), ms(bs.max)],
              [
                'answer size',
                `${formatBytes(size.bytes)}, ${size.lines.toLocaleString('en-US')} lines`,
                '',
                '',
              ],
            ],
          },
        ],
        comparisons: [],
        figures: {
          metrics_scrape_10k_ms: {
            ...single(t.median, 'GET /metrics, 10,000 services, median of rounds'),
            min: t.min,
            max: t.max,
          },
          metrics_scrape_10k_max_block_ms: {
            ...single(
              b.max,
              'longest event-loop block during a 10,000-service scrape (all changed), worst round',
            ),
            min: b.min,
            max: b.max,
          },
        },
        charts: [],
        data: {
          services: SERVICES,
          scrapeMs: times,
          maxBlockMs: blocks,
          bytes: size.bytes,
          lines: size.lines,
        },
      };
    } finally {
      await admin.close();
      await sup.close();
    }
  },
};
