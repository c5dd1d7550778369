import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileTracker } from '../../../src/vrrp/track-file.js';
import { InstanceTracker } from '../../../src/vrrp/tracker.js';
import { runScript, ScriptTracker } from '../../../src/vrrp/track-script.js';
import { parseTrackFile, RiseFall, trackedPriority, TrackState, type TrackItem } from '../../../src/vrrp/tracking.js';

const iface = (name: string, weight: number): TrackItem => ({ kind: 'interface', name, weight });
const file = (name: string, weight: number): TrackItem => ({ kind: 'file', name, weight });

describe('trackedPriority (keepalived semantics)', () => {
  it('positive weights add while up, negative weights subtract while down', () => {
    expect(trackedPriority(100, [{ item: iface('a', 20), reading: { up: true } }, { item: iface('b', -30), reading: { up: false } }])).toEqual({
      priority: 90,
      fault: false,
      faultyItems: [],
    });
    expect(trackedPriority(100, [{ item: iface('a', 20), reading: { up: false } }, { item: iface('b', -30), reading: { up: true } }]).priority).toBe(100);
  });

  it('weight 0 down is a fault', () => {
    expect(trackedPriority(100, [{ item: iface('eth1', 0), reading: { up: false } }])).toEqual({ priority: 100, fault: true, faultyItems: ['interface eth1'] });
  });

  it('clamps to 1..254', () => {
    expect(trackedPriority(250, [{ item: iface('a', 50), reading: { up: true } }]).priority).toBe(254);
    expect(trackedPriority(10, [{ item: iface('a', -50), reading: { up: false } }]).priority).toBe(1);
  });

  it('never adjusts the owner, but faults it', () => {
    expect(trackedPriority(255, [{ item: iface('a', -50), reading: { up: false } }]).priority).toBe(255);
    expect(trackedPriority(255, [{ item: iface('a', 0), reading: { up: false } }]).fault).toBe(true);
  });

  it('files: value x weight; weight 0 faults on non-zero; below -253 faults', () => {
    expect(trackedPriority(100, [{ item: file('/f', 2), reading: { value: -10 } }]).priority).toBe(80);
    expect(trackedPriority(100, [{ item: file('/f', 0), reading: { value: 1 } }]).fault).toBe(true);
    expect(trackedPriority(100, [{ item: file('/f', 0), reading: { value: 0 } }]).fault).toBe(false);
    expect(trackedPriority(100, [{ item: file('/f', 1), reading: { value: -254 } }]).fault).toBe(true);
    expect(trackedPriority(100, [{ item: file('/f', 1), reading: { value: 1000 } }]).priority).toBe(254);
  });
});

describe('TrackState', () => {
  const track = {
    interfaces: [{ name: 'eth1', weight: -20 }],
    scripts: [{ name: 'haproxy', command: ['/bin/true'], intervalMs: 1000, timeoutMs: 500, weight: 0, rise: 2, fall: 2 }],
    files: [{ path: '/run/w', weight: 1 }],
  };

  it('starts with everything up and reports only changes', () => {
    const t = new TrackState(100, track);
    expect(t.result).toEqual({ priority: 100, fault: false, faultyItems: [] });
    expect(t.update('interface', 'eth1', { up: false })).toEqual({ priority: 80, fault: false, faultyItems: [] });
    expect(t.update('interface', 'eth1', { up: false })).toBeUndefined();
    expect(t.update('script', 'haproxy', { up: false })).toMatchObject({ fault: true, faultyItems: ['script haproxy'] });
    expect(t.update('file', '/run/w', { value: 5 })).toEqual({ priority: 85, fault: true, faultyItems: ['script haproxy'] });
    expect(t.update('script', 'haproxy', { up: true })).toEqual({ priority: 85, fault: false, faultyItems: [] });
  });

  it('ignores items it does not track', () => {
    expect(new TrackState(100, track).update('interface', 'eth9', { up: false })).toBeUndefined();
  });
});

describe('RiseFall', () => {
  it('flips down after `fall` failures and up after `rise` successes; a success resets a failure streak', () => {
    const r = new RiseFall(3, 2);
    expect([r.record(false), r.record(true), r.record(false), r.record(false)]).toEqual([false, false, false, true]);
    expect(r.up).toBe(false);
    expect([r.record(true), r.record(true), r.record(true)]).toEqual([false, false, true]);
    expect(r.up).toBe(true);
  });
});

describe('parseTrackFile', () => {
  it.each([['42\n', 42], [' -7 ', -7], ['+3', 3], ['', undefined], ['4x', undefined], ['1 2', undefined]])('%j', (text, value) => {
    expect(parseTrackFile(text)).toBe(value);
  });
});

describe('track scripts (real processes)', () => {
  it('runs argv without a shell and reports exit status', async () => {
    expect(await runScript(['/bin/true'], 2000)).toEqual({ success: true, detail: 'exit 0' });
    expect(await runScript(['/bin/false'], 2000)).toEqual({ success: false, detail: 'exit 1' });
    expect(await runScript(['/bin/echo', '$(reboot)', ';', 'x'], 2000)).toEqual({ success: true, detail: 'exit 0' });
  });

  it('kills a run that outlives its timeout', async () => {
    const t0 = performance.now();
    expect(await runScript(['/bin/sleep', '5'], 100)).toEqual({ success: false, detail: 'timeout' });
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('reports a missing program as a failure', async () => {
    expect(await runScript(['/nonexistent/lvsd-check'], 1000)).toEqual({ success: false, detail: '/nonexistent/lvsd-check: no such file' });
  });

  it('a script that cannot be spawned (E2BIG, a NUL byte) is a failed run, never a rejection', async () => {
    expect(await runScript(['/bin/true', 'x'.repeat(200_000)], 1000)).toMatchObject({ success: false, detail: expect.stringContaining('E2BIG') });
    expect(await runScript(['/bin/true', 'a\0b'], 1000)).toMatchObject({ success: false });
  });

  it('a tracker goes down after `fall` failed runs', async () => {
    const changes: boolean[] = [];
    const tracker = new ScriptTracker(
      { name: 'f', command: ['/bin/false'], intervalMs: 20, timeoutMs: 1000, weight: 0, rise: 1, fall: 2 },
      (up) => changes.push(up),
    );
    tracker.start();
    try {
      for (let i = 0; i < 100 && changes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      tracker.stop();
    }
    expect(changes).toEqual([false]);
    expect(tracker.up).toBe(false);
  });
});

describe('track files', () => {
  it('reports the number, and 0 when the file disappears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-vrrp-'));
    const path = join(dir, 'weight');
    const values: number[] = [];
    const tracker = new FileTracker(path, 20, (v) => values.push(v));
    try {
      writeFileSync(path, '7\n');
      tracker.start();
      for (let i = 0; i < 100 && values.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
      rmSync(path);
      for (let i = 0; i < 100 && values.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    } finally {
      tracker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(values).toEqual([7, 0]);
  });
});

describe('InstanceTracker', () => {
  it('combines interfaces, scripts and files into priority changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-vrrp-'));
    const path = join(dir, 'weight');
    writeFileSync(path, '-5\n');
    const results: Array<{ priority: number; fault: boolean }> = [];
    const tracker = new InstanceTracker(
      100,
      {
        interfaces: [{ name: 'eth1', weight: -20 }],
        scripts: [{ name: 'down', command: ['/bin/false'], intervalMs: 10, timeoutMs: 1000, weight: 0, rise: 1, fall: 1 }],
        files: [{ path, weight: 2 }],
      },
      { onChange: (r) => results.push({ priority: r.priority, fault: r.fault }) },
      10,
    );
    try {
      tracker.start();
      tracker.setInterface('eth1', false);
      for (let i = 0; i < 200 && results.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    } finally {
      tracker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(results[0]).toEqual({ priority: 80, fault: false });
    expect(tracker.result).toEqual({ priority: 70, fault: true, faultyItems: ['script down'] });
  });
});
