/**
 * The Prometheus alerting rules in deploy/prometheus/alerts.yml, checked and unit-tested by promtool
 * (Debian package `prometheus`) against the example series in alerts.test.yml.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseMetrics, request, startRig } from './helpers.ts';
import { requireBinary } from './system-packages.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

async function promtool(...args: string[]): Promise<string> {
  const bin = requireBinary('/usr/bin/promtool', 'prometheus');
  try {
    const { stdout, stderr } = await run(bin, args, { cwd: root, timeout: 60_000 });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

describe('deploy/prometheus/alerts.yml', () => {
  it('is valid', async () => {
    expect(await promtool('check', 'rules', 'deploy/prometheus/alerts.yml')).toContain(
      'SUCCESS: 5 rules found',
    );
  });

  it('passes promtool test rules: each alert fires on its example and stays quiet on the others', async () => {
    expect(await promtool('test', 'rules', 'deploy/prometheus/alerts.test.yml')).toContain('SUCCESS');
  });

  it('only uses metric names the admin server exposes', async () => {
    const rules = await readFile(new URL('../../deploy/prometheus/alerts.yml', import.meta.url), 'utf8');
    const used = new Set(rules.match(/breakwater_[a-z_]+/g));
    await using rig = await startRig(['alpha']);
    const { types } = parseMetrics((await request(rig.url, '/metrics')).body);
    expect([...used].filter((name) => !types.has(name))).toEqual([]);
  });
});
