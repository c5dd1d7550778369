// ExecQueue (src/exec/queue.ts) with real processes: one key runs in order, one at a time; the
// global cap holds across keys; a full key drops its oldest waiting command.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecQueue } from '../../../src/exec/queue.js';
import type { ExecCommand, ExecOutcome } from '../../../src/exec/run.js';

const dir = mkdtempSync(join(tmpdir(), 'lvsd-queue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const options = { timeoutMs: 5000, output: { mode: 'ignore' } } as const;
const append = (file: string, text: string, sleep = '0'): ExecCommand => ({ argv: ['/bin/sh', '-c', `sleep ${sleep}; echo ${text} >> ${file}`] });

describe('ExecQueue', () => {
  it('runs the commands of one key one at a time, in order, even when the first is slow', async () => {
    const file = join(dir, 'order');
    const queue = new ExecQueue({ concurrency: 8, maxWaitingPerKey: 8 });
    queue.push('instance web', append(file, 'first', '0.2'), options);
    queue.push('instance web', append(file, 'second'), options);
    queue.push('instance web', append(file, 'third'), options);
    expect(queue.stats()).toMatchObject({ running: 1, waiting: 2 });
    await queue.idle();
    expect(readFileSync(file, 'utf8')).toBe('first\nsecond\nthird\n');
    expect(queue.stats()).toEqual({ running: 0, waiting: 0, finished: 3, failed: 0, dropped: 0 });
  });

  it('never runs more than `concurrency` commands at once across keys', async () => {
    const queue = new ExecQueue({ concurrency: 2, maxWaitingPerKey: 8 });
    for (const key of ['a', 'b', 'c', 'd']) queue.push(key, { argv: ['/bin/sleep', '0.1'] }, options);
    expect(queue.stats()).toMatchObject({ running: 2, waiting: 2 });
    let most = 0;
    let done = false;
    void queue.idle().then(() => (done = true));
    for (let i = 0; i < 400 && !done; i++) {
      most = Math.max(most, queue.stats().running);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(done).toBe(true);
    expect(most).toBe(2);
    expect(queue.stats().finished).toBe(4);
  });

  it('a full key drops its oldest waiting command and reports it', async () => {
    const file = join(dir, 'dropped');
    const outcomes: Array<[string, ExecOutcome]> = [];
    const queue = new ExecQueue({ concurrency: 8, maxWaitingPerKey: 1, onOutcome: (_key, command, outcome) => outcomes.push([command.argv.join(' '), outcome]) });
    queue.push('k', append(file, 'running', '0.1'), options);
    queue.push('k', append(file, 'stale'), options);
    queue.push('k', append(file, 'latest'), options);
    await queue.idle();
    expect(readFileSync(file, 'utf8')).toBe('running\nlatest\n');
    expect(queue.stats()).toMatchObject({ dropped: 1, finished: 2 });
    expect(outcomes[0]?.[0]).toContain('stale');
    expect(outcomes[0]?.[1]).toMatchObject({ ok: false, error: 'EDROPPED' });
  });

  it('clear() kills what runs and forgets what waits', async () => {
    const queue = new ExecQueue({ concurrency: 1, maxWaitingPerKey: 8 });
    queue.push('a', { argv: ['/bin/sleep', '30'] }, options);
    queue.push('b', { argv: ['/bin/sleep', '30'] }, options);
    queue.clear('stopping');
    await queue.idle();
    expect(queue.stats()).toMatchObject({ running: 0, waiting: 0, finished: 1, failed: 1, dropped: 1 });
  });
});
