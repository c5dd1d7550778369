// The transport shell on loopback (127.0.0.2 and 127.0.0.3 stand for the two nodes): a change
// reaches the peer and is acked, a node that was down catches up from the snapshot sent when the
// connection comes back, and forged, replayed and unknown-address input is counted, never obeyed.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { newNonce, signFrame } from '../../../src/peer/auth.js';
import { Ledger } from '../../../src/peer/ledger.js';
import { PeerLink } from '../../../src/peer/link.js';
import type { ChangeRecord } from '../../../src/peer/types.js';
import { until as untilNamed } from '../daemon/vrrp-fakes.js';

const until = (probe: () => boolean): Promise<void> => untilNamed('the peer link', probe, 5_000);

const SECRET = 'the secret of this test pair';
const A = '127.0.0.2';
const B = '127.0.0.3';
const PORT = 20_000 + Math.floor(Math.random() * 20_000);
const quiet = { info: () => undefined, warn: () => undefined };

interface Node {
  link: PeerLink;
  ledger: Ledger;
}
const running: PeerLink[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((l) => l.stop()));
});

async function node(name: string, self: string, other: string, ledger = new Ledger()): Promise<Node> {
  const link = await PeerLink.start({
    node: name,
    listen: { address: self, port: PORT },
    peers: [{ address: other, port: PORT }],
    secret: SECRET,
    windowMs: 30_000,
    log: quiet,
    snapshot: () => ledger.all(),
    receive: (records) => records.filter((r) => ledger.apply(r)).length,
  });
  running.push(link);
  return { link, ledger };
}


const drain = (node: string, at = Date.now()): ChangeRecord => ({ kind: 'override', service: 'web', realServer: '198.18.1.11:80', value: 'drain', at, node });

/** Writes raw lines to `to` from `from` and returns once the other side closed or 500 ms passed. */
async function raw(from: string, to: string, lines: string[]): Promise<void> {
  const s = connect({ host: to, port: PORT, localAddress: from });
  await new Promise<void>((resolve) => {
    s.on('connect', () => s.write(lines.map((l) => `${l}\n`).join('')));
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    setTimeout(() => {
      s.destroy();
      resolve();
    }, 500).unref();
  });
}

describe('PeerLink over TCP', () => {
  it('a change on one node reaches the other and is acked; both directions connect', async () => {
    const a = await node('lb1', A, B);
    const b = await node('lb2', B, A);
    await until(() => a.link.status().peers[0]?.connected === true && b.link.status().peers[0]?.connected === true);
    const r = drain('lb1');
    a.ledger.apply(r);
    a.link.send([r]);
    await until(() => b.ledger.active().length === 1);
    expect(b.ledger.all()).toEqual([r]);
    await until(() => (a.link.status().peers[0]?.lastAck ?? 0) >= r.at);
    const status = a.link.status();
    expect(status.peers[0]).toMatchObject({ address: `${B}:${PORT}`, node: 'lb2', connected: true, inbound: true });
    expect(status.recordsSent).toBeGreaterThanOrEqual(1);
    expect(b.link.status().recordsApplied).toBe(1);
  });

  it('a node that was down catches up from the snapshot on reconnect, and the newer record wins on both', async () => {
    const a = await node('lb1', A, B);
    // lb2 comes up holding an old drain that lb1 lifted while it was down.
    const old = drain('lb2', 1_000);
    const lifted: ChangeRecord = { ...old, value: 'clear', at: 2_000, node: 'lb1' };
    a.ledger.apply(lifted);
    const b = await node('lb2', B, A, new Ledger([old]));
    await until(() => b.ledger.all()[0]?.value === 'clear');
    // lb2's snapshot carried its older drain to lb1: refused by the conflict rule.
    await until(() => a.link.status().peers[0]?.inbound === true);
    expect(a.ledger.all()).toEqual([lifted]);
    expect(b.ledger.all()).toEqual([lifted]);
  });

  it('counts and drops forged, replayed, garbage and unknown-address input, and obeys none of it', async () => {
    const b = await node('lb2', B, A);
    const message = (rec: ChangeRecord) => ({ v: 1 as const, from: 'lb1', to: `${B}:${PORT}`, ts: Date.now(), nonce: newNonce(), seq: 1, type: 'change' as const, records: [rec] });
    await raw(A, B, [signFrame('not the secret of this pair', message(drain('lb1')))]);
    await raw(A, B, ['{"v":1,"type":"change"}', 'x'.repeat(100), `${'0'.repeat(64)} {"v":1}`]);
    await raw('127.0.0.9', B, [signFrame(SECRET, message(drain('lb1')))]);
    // A frame captured on the wire and sent again: the first copy is applied, the second refused.
    const captured = signFrame(SECRET, message(drain('lb1')));
    await raw(A, B, [captured]);
    expect(b.ledger.active()).toHaveLength(1);
    b.ledger.apply({ ...drain('lb2'), value: 'clear', at: Date.now() + 1 });
    await raw(A, B, [captured]);
    const s = b.link.status();
    expect(s.dropped.forged).toBe(1);
    expect(s.dropped.malformed).toBe(1);
    expect(s.dropped.replayed).toBe(1);
    expect(s.connectionsRefused).toBe(1);
    expect(b.ledger.active()).toEqual([]);
  });
});
