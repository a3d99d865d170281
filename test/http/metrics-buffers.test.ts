/**
 * The scrape buffers an admin server keeps from one `/metrics` answer for the next: a buffer is
 * written again only after every response that wrote it was handed to the OS; an answer cut short
 * never gives its buffers back (its socket may still hold them); overlapping scrapes share one
 * rendering and its buffers come back after the last of them.
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AdminMetrics, type MetricsAnswer } from '../../src/http/metrics.ts';
import { MetricsReader } from '../../src/http/read.ts';
import { Supervisor } from '../../src/index.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { parseMetrics, request, sample, startRig, TEST_SERVICE } from './helpers.ts';

/** Enough services for several 64 KiB buffers per family. */
const SERVICES = 300;

async function rig(): Promise<{ sup: Supervisor; metrics: AdminMetrics } & AsyncDisposable> {
  const sup = new Supervisor({ clock: new ManualClock(1_700_000_000_000) });
  for (let i = 0; i < SERVICES; i++) sup.register(`svc-${i}`, TEST_SERVICE);
  const metrics = new AdminMetrics(sup, new MetricsReader(sup, undefined));
  metrics.attach();
  return {
    sup,
    metrics,
    async [Symbol.asyncDispose]() {
      metrics.detach();
      await sup.close();
    },
  };
}

async function callEach(sup: Supervisor): Promise<void> {
  for (const name of sup.services()) await sup.run(name, () => 1);
}

const bytesOf = (a: MetricsAnswer): Buffer =>
  Buffer.concat(a.chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
const memoryOf = (a: MetricsAnswer): Set<ArrayBufferLike> =>
  new Set(a.chunks.flatMap((c) => (typeof c === 'string' ? [] : [c.buffer])));
const shared = (a: Set<ArrayBufferLike>, b: Set<ArrayBufferLike>): number =>
  [...a].filter((x) => b.has(x)).length;
const successes = (text: string): number | undefined =>
  sample(parseMetrics(text).samples, 'breakwater_calls_total', { service: 'svc-7', outcome: 'success' });

describe('/metrics scrape buffers', () => {
  it('keeps the bytes of an answer still being sent while later scrapes render', async () => {
    await using r = await rig();
    const slow = await r.metrics.render();
    const before = Buffer.from(bytesOf(slow));
    for (let i = 0; i < 3; i++) {
      await callEach(r.sup);
      const next = await r.metrics.render();
      expect(shared(memoryOf(slow), memoryOf(next))).toBe(0);
      next.release(true);
    }
    expect(bytesOf(slow).equals(before)).toBe(true);
    expect(successes(before.toString())).toBe(0);
    slow.release(true);
  });

  it('writes the next scrape into the buffers of an answer once it was sent, with the same text', async () => {
    await using r = await rig();
    await callEach(r.sup);
    const first = await r.metrics.render();
    const firstMemory = memoryOf(first);
    first.release(true);
    await callEach(r.sup);
    const second = await r.metrics.render();
    expect(shared(firstMemory, memoryOf(second))).toBeGreaterThan(SERVICES / 100);
    const text = bytesOf(second).toString();
    expect(successes(text)).toBe(2);
    second.release(true);
    // Nothing changed: the third rendering (into the second's buffers) is the same text.
    const third = await r.metrics.render();
    expect(bytesOf(third).toString()).toBe(text);
    third.release(true);
  });

  it('never writes again the buffers of an answer cut short', async () => {
    await using r = await rig();
    const cut = await r.metrics.render();
    const before = Buffer.from(bytesOf(cut));
    cut.release(false);
    cut.release(true); // idempotent: the first word counts
    await callEach(r.sup);
    const next = await r.metrics.render();
    expect(shared(memoryOf(cut), memoryOf(next))).toBe(0);
    expect(bytesOf(cut).equals(before)).toBe(true);
    next.release(true);
  });

  it('gives back the buffers of overlapping scrapes only after the last of them was sent', async () => {
    await using r = await rig();
    const [a, b] = await Promise.all([r.metrics.render(), r.metrics.render()]);
    expect(a.chunks).toBe(b.chunks);
    a.release(true);
    const during = await r.metrics.render();
    expect(shared(memoryOf(b), memoryOf(during))).toBe(0);
    during.release(true);
    b.release(true);
    const after = await r.metrics.render();
    expect(shared(memoryOf(b), memoryOf(after))).toBeGreaterThan(0);
    after.release(true);
  });

  it('answers whole scrapes over HTTP after a client hung up in the middle of one', async () => {
    await using h = await startRig([]);
    for (let i = 0; i < SERVICES * 4; i++) h.sup.register(`svc-${i}`, TEST_SERVICE);
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${h.url}/metrics`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.once('error', reject);
      req.end();
    });
    for (let i = 0; i < 3; i++) {
      await h.sup.run('svc-7', () => 1);
      const res = await request(h.url, '/metrics');
      expect(res.status).toBe(200);
      const samples = parseMetrics(res.body).samples;
      expect(sample(samples, 'breakwater_calls_total', { service: 'svc-7', outcome: 'success' })).toBe(i + 1);
      expect(samples.filter((s) => s.name === 'breakwater_circuit_state').length).toBe(SERVICES * 4 * 5);
    }
  });
});
