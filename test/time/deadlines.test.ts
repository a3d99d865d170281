/**
 * DeadlineList: calls with one timeout duration in a FIFO list, with one scheduled wake-up for the
 * head. Expiry order and time, removal, takeAll, and re-entrant changes made from expire().
 */
import { describe, expect, it } from 'vitest';
import { type DeadlineList, type DeadlineNode, Deadlines } from '../../src/time/deadlines.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { Scheduler } from '../../src/time/scheduler.ts';

class Node implements DeadlineNode {
  dlAt = 0;
  dlPrev: DeadlineNode | null = null;
  dlNext: DeadlineNode | null = null;
  dlList: DeadlineList | null = null;
  constructor(
    readonly name: string,
    readonly log: [string, number][],
    readonly clock: ManualClock,
    readonly onExpire?: () => void,
  ) {}
  expire(): void {
    this.log.push([this.name, this.clock.now()]);
    this.onExpire?.();
  }
  shutdown(): void {
    this.log.push([`shutdown ${this.name}`, this.clock.now()]);
  }
}

function setup() {
  const clock = new ManualClock(0);
  const scheduler = new Scheduler(clock);
  const deadlines = new Deadlines(clock, scheduler);
  const log: [string, number][] = [];
  const node = (name: string, onExpire?: () => void) => new Node(name, log, clock, onExpire);
  return { clock, scheduler, deadlines, log, node };
}

describe('DeadlineList', () => {
  it('expires nodes first-in first-out, each exactly at its own deadline, once', () => {
    const { clock, deadlines, log, node } = setup();
    const list = deadlines.list(100);
    const nodes = ['a', 'b', 'c'].map((n) => node(n));
    list.add(nodes[0]!);
    clock.advance(10);
    list.add(nodes[1]!);
    list.add(nodes[2]!);
    expect(nodes.map((n) => n.dlAt)).toEqual([100, 110, 110]);
    expect(list.size).toBe(3);
    clock.advance(89);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual([['a', 100]]);
    clock.advance(1_000);
    expect(log).toEqual([
      ['a', 100],
      ['b', 110],
      ['c', 110],
    ]);
    expect(list.size).toBe(0);
    expect(nodes.every((n) => n.dlList === null)).toBe(true);
  });

  it('a removed node never expires; removing twice, or from another list, does nothing', () => {
    const { clock, deadlines, log, node } = setup();
    const list = deadlines.list(100);
    const other = deadlines.list(200);
    const a = node('a');
    const b = node('b');
    list.add(a);
    list.add(b);
    list.remove(a);
    list.remove(a);
    other.remove(b);
    expect([list.size, other.size, a.dlList, b.dlList]).toEqual([1, 0, null, list]);
    clock.advance(1_000);
    expect(log).toEqual([['b', 100]]);
  });

  it('removing the head and the tail keeps the links consistent', () => {
    const { clock, deadlines, log, node } = setup();
    const list = deadlines.list(50);
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((n) => node(n));
    for (const n of nodes) list.add(n);
    list.remove(nodes[0]!);
    list.remove(nodes[4]!);
    list.remove(nodes[2]!);
    list.add(node('f'));
    clock.advance(50);
    expect(log.map(([name]) => name)).toEqual(['b', 'd', 'f']);
  });

  it('takeAll() returns every node in order and detaches them; nothing expires afterwards', () => {
    const { clock, deadlines, log, node } = setup();
    const a = deadlines.list(100);
    const b = deadlines.list(30);
    const n1 = node('1');
    const n2 = node('2');
    const n3 = node('3');
    a.add(n1);
    a.add(n2);
    b.add(n3);
    expect(deadlines.size).toBe(3);
    expect(a.takeAll()).toEqual([n1, n2]);
    expect(deadlines.takeAll()).toEqual([n3]);
    expect([deadlines.size, n1.dlList, n3.dlList]).toEqual([0, null, null]);
    clock.advance(1_000);
    expect(log).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a node added from expire() expires at its own deadline, not early, once', () => {
    const { clock, deadlines, log, node } = setup();
    const list = deadlines.list(100);
    list.add(
      node('a', () => {
        list.add(node('added by a'));
      }),
    );
    list.add(node('b'));
    clock.advance(100);
    expect(log).toEqual([
      ['a', 100],
      ['b', 100],
    ]);
    clock.advance(99);
    expect(log).toHaveLength(2);
    clock.advance(1);
    expect(log.at(-1)).toEqual(['added by a', 200]);
    clock.advance(1_000);
    expect(log).toHaveLength(3);
  });

  it('a node removed from an earlier node’s expire() does not expire', () => {
    const { clock, deadlines, log, node } = setup();
    const list = deadlines.list(100);
    const victim = node('victim');
    list.add(node('a', () => list.remove(victim)));
    list.add(victim);
    list.add(node('c'));
    clock.advance(100);
    expect(log.map(([name]) => name)).toEqual(['a', 'c']);
  });

  it('the Infinity list keeps nodes for close() but never schedules anything', () => {
    const { clock, deadlines, scheduler, log, node } = setup();
    const list = deadlines.list(Number.POSITIVE_INFINITY);
    const n = node('forever');
    list.add(n);
    expect([n.dlAt, scheduler.size, clock.pendingTimers]).toEqual([Number.POSITIVE_INFINITY, 0, 0]);
    clock.advance(1e12);
    expect(log).toEqual([]);
    expect(deadlines.takeAll()).toEqual([n]);
  });

  it('one wake-up for the list however many nodes it holds (100,000 calls, one scheduler entry)', () => {
    const { clock, deadlines, scheduler, log, node } = setup();
    const list = deadlines.list(1_000);
    for (let i = 0; i < 100_000; i++) {
      list.add(node(String(i)));
      if (i % 1_000 === 999) clock.advance(1);
    }
    expect([list.size, scheduler.size, clock.pendingTimers]).toEqual([100_000, 1, 1]);
    clock.advance(2_000);
    expect(log).toHaveLength(100_000);
    expect(log.every(([name, at], i) => name === String(i) && at === 1_000 + Math.floor(i / 1_000))).toBe(
      true,
    );
  });

  it('Deadlines.list(d) is one list per duration', () => {
    const { deadlines } = setup();
    expect(deadlines.list(100)).toBe(deadlines.list(100));
    expect(deadlines.list(100)).not.toBe(deadlines.list(200));
    expect(deadlines.list(100).durationMs).toBe(100);
  });
});
