import { describe, expect, it } from 'vitest';
import { guarded, reasonFromError } from '../../../src/health/checkers/probe.js';
import { ProbeTimeout } from '../../../src/health/schedule.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('reasonFromError', () => {
  it('maps socket errnos to the short reasons operators read', () => {
    expect(reasonFromError(errno('ECONNREFUSED'))).toBe('refused');
    expect(reasonFromError(errno('ECONNRESET'))).toBe('reset');
    expect(reasonFromError(errno('EHOSTUNREACH'))).toBe('host unreachable');
    expect(reasonFromError(errno('EADDRNOTAVAIL'))).toBe('source address not available');
  });

  it('prefixes TLS failures and falls back to the code or message', () => {
    expect(reasonFromError(errno('DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe('tls: DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(reasonFromError(errno('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe('tls: ERR_TLS_CERT_ALTNAME_INVALID');
    expect(reasonFromError(errno('EPROTO'))).toBe('eproto');
    expect(reasonFromError(new Error('socket hang up'))).toBe('socket hang up');
  });
});

describe('guarded', () => {
  const hang = (onStop: (l: (reason: string) => void) => void) =>
    new Promise<{ ok: boolean; reason: string }>((resolve) => onStop((reason) => resolve({ ok: false, reason })));

  it('stops the body at its own timeout', async () => {
    const r = await guarded(new AbortController().signal, 50, hang);
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(r.durationMs).toBeGreaterThanOrEqual(45);
  });

  it('maps the scheduler’s ProbeTimeout abort to "timeout" and any other abort to "aborted"', async () => {
    const a = new AbortController();
    setTimeout(() => a.abort(new ProbeTimeout('late')), 10);
    expect(await guarded(a.signal, 5000, hang)).toMatchObject({ reason: 'timeout' });
    const b = new AbortController();
    b.abort(new Error('removed'));
    expect(await guarded(b.signal, 5000, hang)).toMatchObject({ reason: 'aborted' });
  });

  it('passes the body’s own result through with its duration', async () => {
    const r = await guarded(new AbortController().signal, 1000, async () => ({ ok: true, reason: 'connected' }));
    expect(r.ok).toBe(true);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });
});
