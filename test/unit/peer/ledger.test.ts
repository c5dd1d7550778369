// The conflict rule: per key, last writer wins by (at, node), whatever order records arrive in.
import { describe, expect, it } from 'vitest';
import { Ledger, supersedes } from '../../../src/peer/ledger.js';
import type { ChangeRecord } from '../../../src/peer/types.js';

const rec = (value: ChangeRecord['value'], at: number, node: string, realServer = '198.18.1.11:80'): ChangeRecord => ({ kind: 'override', service: 'web', realServer, value, at, node });

describe('Ledger (last writer wins by (at, node))', () => {
  it('a later record wins; an earlier or the same one changes nothing', () => {
    const l = new Ledger();
    expect(l.apply(rec('drain', 10, 'lb1'))).toBe(true);
    expect(l.apply(rec('disable', 9, 'lb2'))).toBe(false);
    expect(l.apply(rec('drain', 10, 'lb1'))).toBe(false);
    expect(l.apply(rec('clear', 11, 'lb2'))).toBe(true);
    expect(l.active()).toEqual([]);
    // The tombstone stays: the older drain, resent by a peer that was down, does not come back.
    expect(l.apply(rec('drain', 10, 'lb1'))).toBe(false);
    expect(l.all()).toEqual([rec('clear', 11, 'lb2')]);
  });

  it('the same millisecond on both nodes: the node name breaks the tie, the same way on both', () => {
    const a = rec('drain', 10, 'lb1');
    const b = rec('disable', 10, 'lb2');
    expect(supersedes(b, a)).toBe(true);
    expect(supersedes(a, b)).toBe(false);
    const one = new Ledger([a, b]);
    const two = new Ledger([b, a]);
    expect(one.all()).toEqual(two.all());
    expect(one.all()[0]?.value).toBe('disable');
  });

  it('converges whatever the order: every permutation of a set of records ends in the same state', () => {
    const records = [rec('drain', 5, 'lb1'), rec('clear', 7, 'lb2'), rec('disable', 7, 'lb1'), rec('enable', 3, 'lb2', '198.18.1.12:80'), rec('drain', 4, 'lb1', '198.18.1.12:80')];
    const permutations = (xs: ChangeRecord[]): ChangeRecord[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
    const states = new Set(permutations(records).map((p) => JSON.stringify(new Ledger(p).all().sort((x, y) => (x.realServer ?? '').localeCompare(y.realServer ?? '')))));
    expect(states.size).toBe(1);
    expect(JSON.parse([...states][0] as string)).toEqual([rec('clear', 7, 'lb2'), rec('drain', 4, 'lb1', '198.18.1.12:80')]);
  });

  it('a local change is stamped after what it has seen, even with a clock behind', () => {
    const l = new Ledger([rec('drain', 1_000, 'lb2')]);
    const mine = l.stamp({ kind: 'override', service: 'web', realServer: '198.18.1.11:80', value: 'clear' }, 'lb1', 900);
    expect(mine.at).toBe(1_001);
    expect(l.apply(mine)).toBe(true);
    expect(l.stamp({ kind: 'server', service: 'web', realServer: '198.18.1.13:80', value: 'add', weight: 1 }, 'lb1', 900).at).toBe(900);
  });

  it('keys are per kind, service and real server; a whole-service override is its own key', () => {
    const l = new Ledger([rec('drain', 1, 'lb1'), { kind: 'override', service: 'web', value: 'disable', at: 1, node: 'lb1' }, { kind: 'server', service: 'web', realServer: '198.18.1.11:80', value: 'remove', at: 1, node: 'lb1' }]);
    expect(l.all()).toHaveLength(3);
    expect(l.retain((r) => r.kind === 'override')).toBe(true);
    expect(l.all()).toHaveLength(2);
  });
});
