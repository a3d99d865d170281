/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core. The test process
 * owns the supervisor and its ManualClock, drives a service closed -> open -> half-open -> closed,
 * and waits (Playwright locators, never sleeps) for each state to appear on the page, which gets
 * them from /events without reloading. Saves test-artifacts/dashboard.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminServer } from '../../src/http/index.ts';
import { Supervisor } from '../../src/index.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { boom, OPEN_MS, type Rig, startRig, TEST_SERVICE } from './helpers.ts';
import { requireBinary } from './system-packages.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const SERVICES = ['blob-storage', 'geo-lookup', 'key-vault'];
/** A service whose calls run in a real worker pool: its card shows threads and queue. */
const POOLED = 'thumbnailer';
const ALL = [...SERVICES, POOLED].sort();

let context: BrowserContext;
let profile: string;
let rig: Rig;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  requireBinary(CHROMIUM, 'chromium');
  profile = mkdtempSync(join(tmpdir(), 'breakwater-chromium-'));
  // launchPersistentContext owns the profile directory (Playwright rejects --user-data-dir in args).
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  rig = await startRig(SERVICES, { dashboardPollMs: 150, token: 'dashboard-test-token' });
  rig.sup.register(POOLED, {
    worker: new URL('./fixtures/pool-handlers.ts', import.meta.url),
    threads: { min: 2, max: 2 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
});

afterAll(async () => {
  await context?.close();
  await rig?.[Symbol.asyncDispose]();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

/** One call that takes `ms` of the ManualClock and then succeeds or fails. */
async function timedCall(name: string, ms: number, ok: boolean): Promise<void> {
  let settle: (() => void) | undefined;
  const call = rig.sup
    .run(name, () => new Promise<void>((r) => (settle = r)).then(() => (ok ? 'ok' : boom())))
    .catch(() => undefined);
  rig.clock.advance(ms);
  settle?.(); // undefined when the breaker rejected the call without running it
  await call;
}

function card(name: string) {
  return page.getByRole('article', { name });
}

async function expectState(name: string, state: string): Promise<void> {
  await card(name)
    .locator('.state', { hasText: new RegExp(`^${state}$`) })
    .waitFor();
  await expect(card(name).getAttribute('data-state')).resolves.toBe(state);
}

/** Resolves once the page has taken `n` /health samples of `name` (points in its sparkline). */
async function samplesAtLeast(name: string, n: number): Promise<void> {
  await page.waitForFunction(
    ([service, count]) => {
      const line = document.querySelector(`article[data-service="${service}"] .spark.fail polyline`);
      return (line?.getAttribute('points') ?? '').split(' ').filter(Boolean).length >= Number(count);
    },
    [name, String(n)] as const,
  );
}

describe('dashboard', () => {
  it('shows one accessible card per service, with landmarks and a live log', async () => {
    await page.goto(`${rig.url}/`);
    for (const name of ALL) await expectState(name, 'closed');
    await expect(page.getByRole('banner').count()).resolves.toBe(1);
    await expect(page.getByRole('main').count()).resolves.toBe(1);
    await expect(page.getByRole('contentinfo').count()).resolves.toBe(1);
    await expect(page.locator('#log').getAttribute('aria-live')).resolves.toBe('polite');
    await page.locator('#conn-text', { hasText: 'live' }).waitFor();
    await page.locator('#overall-text', { hasText: 'ok' }).waitFor();
    // Cards are in the tab order, in name order, each described by its state text.
    await expect(
      page.locator('article.card').evaluateAll((els) => els.map((e) => e.getAttribute('tabindex'))),
    ).resolves.toEqual(ALL.map(() => '0'));
    await expect(page.locator('article.card h3').allTextContents()).resolves.toEqual(ALL);
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to services');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-service'))).resolves.toBe(
      'blob-storage',
    );
  });

  it('draws failure-rate and latency sparklines from successive /health reads', async () => {
    // Twelve rounds of mixed traffic, each followed by one more sample on the page (bounded).
    for (let round = 1; round <= 12; round++) {
      await timedCall('geo-lookup', 20 + ((round * 37) % 90), true);
      if (round % 3 === 0) await timedCall('geo-lookup', 400, false);
      await timedCall('blob-storage', 5 + round * 4, round % 4 !== 0);
      await timedCall('blob-storage', 15, true);
      await timedCall('key-vault', 3 + (round % 5), true);
      await rig.sup.call(POOLED, 'add', [round, 1]);
      for (const name of ALL) await samplesAtLeast(name, round + 1);
    }
    const label = await card('geo-lookup').locator('.spark.lat svg').getAttribute('aria-label');
    expect(label).toMatch(/^p99 latency over the last \d+ samples: now .* ms, peak .* ms$/);
    await card('geo-lookup').locator('[data-k="calls"]', { hasText: /^16$/ }).waitFor();
    // Pool figures only on the pool service's card.
    await card(POOLED)
      .locator('[data-k="threads"]', { hasText: /^2 \(0 busy\)$/ })
      .waitFor();
    await expect(card(POOLED).locator('[data-k="queue"]').textContent()).resolves.toBe('0');
    await expect(card(POOLED).locator('[data-k="pool"]').textContent()).resolves.toBe('ok');
    await expect(card('geo-lookup').locator('[data-k="threads"]').isVisible()).resolves.toBe(false);
  });

  it('follows a service open -> half-open -> closed live, without reloading', async () => {
    const navigations: string[] = [];
    page.on('framenavigated', (f) => navigations.push(f.url()));

    for (let i = 0; i < 3; i++) await timedCall('geo-lookup', 30, false);
    await expectState('geo-lookup', 'open');
    await card('geo-lookup').locator('.recovery .countdown').waitFor({ state: 'visible' });
    await page.locator('#overall-text', { hasText: 'degraded' }).waitFor();

    rig.clock.advance(OPEN_MS);
    await expectState('geo-lookup', 'half-open');
    await card('geo-lookup').locator('.recovery').waitFor({ state: 'hidden' });

    await timedCall('geo-lookup', 25, true);
    await expectState('geo-lookup', 'closed');
    await page.locator('#overall-text', { hasText: 'ok' }).waitFor();

    const log = page.locator('#log li');
    await expect(log.allInnerTexts()).resolves.toEqual([
      expect.stringMatching(/geo-lookup: half-open → closed\s+probes-succeeded/),
      expect.stringMatching(/geo-lookup: open → half-open\s+recovery-timer$/),
      expect.stringMatching(/geo-lookup: closed → open\s+failure-threshold \(\d+ consecutive failures\)/),
    ]);
    expect(navigations).toEqual([]);
  });

  it('while open, shows rejections and fallbacks per second, time open and the failure ratio', async () => {
    for (let i = 0; i < 3; i++) await timedCall('geo-lookup', 30, false);
    await expectState('geo-lookup', 'open');
    const geo = card('geo-lookup');
    await geo.locator('.opened', { hasText: /^open for [0-9.]+ s$/ }).waitFor();
    // Calls rejected while open, across a few page samples: the rate shows and is flagged.
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5; i++) await timedCall('geo-lookup', 0, true);
      await samplesAtLeast('geo-lookup', 1);
    }
    await geo.locator('[data-k="rejected"].bad', { hasText: /· [0-9.,]+\/s$/ }).waitFor();
    // No fallback on this service: no rate beside its (zero) fallbacks.
    await expect(geo.locator('[data-k="fallbacks"]').textContent()).resolves.toBe('0');
    // Rejected calls count as failures in the ratio the page shows: well above the 25% mark.
    await geo.locator('[data-k="fail"].bad').waitFor();

    // A failed probe reopens it: logged as one probe failure, not as the old streak.
    rig.clock.advance(OPEN_MS);
    await expectState('geo-lookup', 'half-open');
    await timedCall('geo-lookup', 10, false);
    await expectState('geo-lookup', 'open');
    await expect(page.locator('#log li').first().textContent()).resolves.toMatch(
      /geo-lookup: half-open → open\s*probe-failed$/,
    );
    rig.sup.reset('geo-lookup');
    await expectState('geo-lookup', 'closed');
    await expect(geo.locator('.opened').isVisible()).resolves.toBe(false);
  });

  it('looks right with every kind of state (screenshot artifact)', async () => {
    for (let i = 0; i < 3; i++) await timedCall('blob-storage', 40, false);
    rig.clock.advance(4_000); // part of the open period has passed: the countdown shows the rest
    rig.sup.forceOpen('key-vault');
    await expectState('blob-storage', 'open');
    await expectState('key-vault', 'forced-open');
    await card('blob-storage')
      .locator('.countdown', { hasText: /^[0-9.]+ s$/ })
      .waitFor();
    await page.locator('#overall-text', { hasText: 'degraded' }).waitFor();
    await samplesAtLeast('blob-storage', 16);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true, animations: 'disabled' });
    // A phone-sized viewport: one column, nothing cut off.
    await page.setViewportSize({ width: 400, height: 800 });
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(400);
    await page.screenshot({
      path: join(ARTIFACTS, 'dashboard-narrow.png'),
      fullPage: true,
      animations: 'disabled',
    });
    expect(pageErrors.filter((e) => !/ERR_CONNECTION_REFUSED|net::/.test(e))).toEqual([]);
  });

  it("drops the old server's state when the server restarts: ids, counters and states", async () => {
    // The page holds key-vault forced-open and blob-storage open, with ids of this instance.
    await expectState('key-vault', 'forced-open');
    const port = Number(new URL(rig.url).port);
    await rig.server.close();
    // A restarted process: a new supervisor where everything is closed, ids starting again at 1.
    const sup = new Supervisor({ clock: new ManualClock(1_700_000_100_000) });
    for (const name of SERVICES) sup.register(name, TEST_SERVICE);
    await sup.run('geo-lookup', () => 'ok');
    await using server = createAdminServer(sup, { port, dashboardPollMs: 150 });
    await server.listen();
    for (const name of SERVICES) await expectState(name, 'closed');
    await card('geo-lookup').locator('[data-k="calls"]', { hasText: /^1$/ }).waitFor();
    await page.getByRole('article', { name: POOLED }).waitFor({ state: 'detached' });
    // A change on the new server is applied live, though its id is lower than the old ones.
    sup.forceOpen('blob-storage');
    await expectState('blob-storage', 'forced-open');
    await sup.close();
  });
});
