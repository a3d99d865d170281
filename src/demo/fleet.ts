/**
 * `npm run demo:fleet`: fleet mode, live. Starts a redis-server on a free 127.0.0.1 port (the
 * Debian package `redis-server`, or `--redis <url>` for one you run), three node processes that
 * each keep calling one service, then one outage of the shared upstream: the first node to trip
 * opens the others, one node wins the probe lease when the open period ends, and its probes close
 * every node. Prints each transition as it happens and a summary; exits 0.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type FleetNodeProcess, type NodeMessage, startFleetNodes } from './fleet-nodes.ts';
import { REDIS_SERVER, RedisServer } from './redis-server.ts';

const MAX_CALLS = 2;

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

function describe(m: NodeMessage): string | undefined {
  if (m.type === 'probe') return `${m.node}: probe call admitted (half-open)`;
  if (m.type !== 'event') return undefined;
  if (m.event === 'stateChange') {
    const from = m.reason === 'fleet' ? ` (from ${String(m.origin)})` : '';
    return `${m.node}: ${String(m.from)} -> ${String(m.to)}  ${String(m.reason)}${from}`;
  }
  return `${m.node}: ${String(m.event)}`;
}

export async function runFleetDemo(options: { redisUrl?: string; outageMs: number }): Promise<number> {
  let server: RedisServer | undefined;
  let url = options.redisUrl;
  if (url === undefined) {
    if (!existsSync(REDIS_SERVER)) {
      line(
        `${REDIS_SERVER} is not installed: apt-get install redis-server, or pass --redis redis://127.0.0.1:6379`,
      );
      return 1;
    }
    server = await RedisServer.start();
    url = server.url;
    line(`redis-server started on ${url}`);
  }
  const started = Date.now();
  const stamp = () => `+${((Date.now() - started) / 1000).toFixed(2)}s`;
  let nodes: FleetNodeProcess[] = [];
  try {
    nodes = await startFleetNodes(url, `demo-${process.pid}:`, 3, { openMs: 1_500, maxCalls: MAX_CALLS });
    for (const node of nodes) {
      node.child.on('message', (m: NodeMessage) => {
        const text = describe(m);
        if (text !== undefined) line(`${stamp()}  ${text}`);
      });
    }
    line(`${stamp()}  three nodes up (p0, p1, p2), each calling "pay" every 10 ms`);
    for (const node of nodes) await node.send({ cmd: 'load', everyMs: 10, max: 3_000 });

    line(`${stamp()}  --- the upstream goes down; p0's calls are the first to fail ---`);
    const opened = nodes.map((n) => n.state('open'));
    await nodes[0]!.send({ cmd: 'mode', mode: 'fail' });
    // p1 and p2 are opened by the fleet before their own calls find the outage.
    await Promise.all(opened);
    for (const node of nodes.slice(1)) await node.send({ cmd: 'mode', mode: 'fail' });
    await new Promise<void>((resolve) => setTimeout(resolve, options.outageMs)).then(() => undefined);
    line(`${stamp()}  --- the upstream is back; the first node to win the lease probes ---`);
    const closed = nodes.map((n) => n.state('closed'));
    for (const node of nodes) await node.send({ cmd: 'mode', mode: 'slow-ok' });
    await Promise.all(closed);
    for (const node of nodes) await node.send({ cmd: 'stop' });

    const reports = await Promise.all(nodes.map((n) => n.report()));
    line('');
    line('node  calls  ok     upstream errors  rejected  probes  lease wins  opens adopted');
    for (const r of reports) {
      const s = r.status as { leaseWins: number; adopted: number };
      line(
        `${r.node.padEnd(4)}  ${String(r.issued).padEnd(5)}  ${String(r.ok).padEnd(5)}  ${String(r.upstreamErrors).padEnd(15)}  ${String(r.rejected).padEnd(8)}  ${String(r.probes).padEnd(6)}  ${String(s.leaseWins).padEnd(10)}  ${s.adopted}`,
      );
    }
    const probes = reports.reduce((n, r) => n + (r.probes as number), 0);
    const periods = nodes.reduce(
      (n, node) => n + node.messages.filter((m) => m.event === 'stateChange' && m.to === 'half-open').length,
      0,
    );
    line(
      `\n${periods} half-open period(s) fleet-wide, each on one node; ${probes} probe call(s) in all ` +
        `(at most halfOpen.maxCalls = ${MAX_CALLS} per period; a failing probe re-opens at once)`,
    );
    return 0;
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    await server?.stop();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { redis: { type: 'string' }, outage: { type: 'string', default: '2' } },
    allowPositionals: false,
  });
  const outage = Number(values.outage);
  if (!(outage >= 0 && outage <= 60))
    throw new RangeError(`--outage must be 0..60 seconds, got ${values.outage}`);
  if (values.redis !== undefined && !/^rediss?:\/\//.test(values.redis)) {
    throw new TypeError(`--redis must be a redis:// URL, got ${values.redis}`);
  }
  return runFleetDemo({
    ...(values.redis === undefined ? {} : { redisUrl: values.redis }),
    outageMs: outage * 1000,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
