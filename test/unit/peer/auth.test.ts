// Frame authentication: HMAC over the exact bytes, then addressing, then freshness (timestamp
// window and nonces seen): forged, replayed, stale and misdirected frames are refused by reason.
import { describe, expect, it } from 'vitest';
import { checkFrame, newNonce, ReplayGuard, signFrame } from '../../../src/peer/auth.js';
import type { PeerMessage } from '../../../src/peer/codec.js';

const SECRET = 'a shared secret of the pair';
const NOW = 1_700_000_000_000;
const message = (over: Partial<PeerMessage> = {}): PeerMessage =>
  ({ v: 1, from: 'lb1', to: '198.18.0.2:9811', ts: NOW, nonce: newNonce(), seq: 1, type: 'change', records: [{ kind: 'override', service: 'web', realServer: '198.18.1.11:80', value: 'drain', at: NOW, node: 'lb1' }], ...over }) as PeerMessage;
const checker = (guard = new ReplayGuard(30_000), now = NOW) => ({ secret: SECRET, self: '198.18.0.2:9811', node: 'lb2', guard, now: () => now });

describe('peer frame authentication', () => {
  it('accepts a frame signed with the secret, addressed to us, fresh', () => {
    const m = message();
    expect(checkFrame(signFrame(SECRET, m), checker())).toEqual({ ok: true, message: m });
  });

  it('refuses a frame signed with another secret, or changed after signing, as forged', () => {
    expect(checkFrame(signFrame('another secret entirely', message()), checker())).toEqual({ ok: false, reason: 'forged' });
    const frame = signFrame(SECRET, message());
    expect(checkFrame(frame.replace('"drain"', '"clear"'), checker())).toEqual({ ok: false, reason: 'forged' });
    // The MAC covers the bytes: re-ordered JSON with the same meaning is not the signed message.
    const [mac = ''] = frame.split(' ');
    expect(checkFrame(`${mac} ${JSON.stringify({ ...message(), v: 1 })}`, checker())).toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses the same frame a second time (replayed) and one outside the window (stale)', () => {
    const guard = new ReplayGuard(30_000);
    const frame = signFrame(SECRET, message());
    expect(checkFrame(frame, checker(guard)).ok).toBe(true);
    expect(checkFrame(frame, checker(guard))).toEqual({ ok: false, reason: 'replayed' });
    // Later, when the nonce is forgotten, the timestamp alone refuses it.
    expect(checkFrame(frame, checker(guard, NOW + 30_001))).toEqual({ ok: false, reason: 'stale' });
    expect(checkFrame(signFrame(SECRET, message({ ts: NOW - 60_000 })), checker())).toEqual({ ok: false, reason: 'stale' });
    expect(checkFrame(signFrame(SECRET, message({ ts: NOW + 60_000 })), checker())).toEqual({ ok: false, reason: 'stale' });
  });

  it('refuses a frame for another listener, or our own reflected back, as misdirected', () => {
    expect(checkFrame(signFrame(SECRET, message({ to: '198.18.0.3:9811' })), checker())).toEqual({ ok: false, reason: 'misdirected' });
    expect(checkFrame(signFrame(SECRET, message({ from: 'lb2' })), checker())).toEqual({ ok: false, reason: 'misdirected' });
  });

  it('refuses garbage as malformed, never throwing', () => {
    const inputs = ['', ' ', 'x'.repeat(64), `${'0'.repeat(64)}`, `${'g'.repeat(64)} {}`, '\u0000\u0001', `${'0'.repeat(63)} {}`];
    for (const line of inputs) expect(checkFrame(line, checker()).ok).toBe(false);
    // Signed but not a message of the protocol.
    const signedJunk = signFrame(SECRET, { not: 'a message' } as unknown as PeerMessage);
    expect(checkFrame(signedJunk, checker())).toEqual({ ok: false, reason: 'malformed' });
  });

  it('forgets nonces once their timestamps would be refused anyway', () => {
    const guard = new ReplayGuard(1_000);
    for (let i = 0; i < 100; i++) expect(guard.check(NOW + i * 100, newNonce(), NOW + i * 100)).toBe('ok');
    expect(guard.size).toBeLessThanOrEqual(12);
  });
});
