import { describe, expect, it } from 'vitest';
import { SignalPolicy } from '../../../src/daemon/signals.js';

describe('SignalPolicy', () => {
  it('queues a SIGHUP that arrives during start and runs it once start is done', () => {
    const p = new SignalPolicy();
    expect(p.on('SIGHUP')).toEqual({ kind: 'queued' });
    expect(p.on('SIGHUP')).toEqual({ kind: 'queued' });
    expect(p.started()).toEqual([{ kind: 'reload' }]);
    expect(p.on('SIGHUP')).toEqual({ kind: 'reload' });
  });

  it('ends the start on SIGTERM, drops a queued reload, and ignores what follows', () => {
    const p = new SignalPolicy();
    p.on('SIGHUP');
    expect(p.on('SIGTERM')).toEqual({ kind: 'abort-start', signal: 'SIGTERM' });
    expect(p.on('SIGTERM')).toEqual({ kind: 'ignored', reason: 'already stopping' });
    expect(p.on('SIGHUP')).toEqual({ kind: 'ignored', reason: 'already stopping' });
    expect(p.started()).toEqual([]);
  });

  it('stops once when running; a second SIGTERM or SIGINT does not cut the hand-over short', () => {
    const p = new SignalPolicy();
    expect(p.started()).toEqual([]);
    expect(p.on('SIGINT')).toEqual({ kind: 'stop', signal: 'SIGINT' });
    expect(p.on('SIGTERM')).toEqual({ kind: 'ignored', reason: 'already stopping' });
  });
});
