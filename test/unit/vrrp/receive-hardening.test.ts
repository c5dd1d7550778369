// The receive path against forged and hostile adverts (issue 10, section 1): TTL 255 whatever the
// destination, the VRRP group in multicast mode, configured peers in unicast mode, learning only
// from the master we follow, rate-limited replies, and one re-announcement per split brain.
import { describe, expect, it } from 'vitest';
import type { InstanceAction } from '../../../src/vrrp/instance.js';
import { Harness, kinds, sent, states } from './harness.js';

const OURS = '198.18.0.2';
const PEER = '198.18.0.9';
const STRANGER = '198.18.0.66';

/** A harness that has become master (priority 100, 1 s adverts, nobody else heard). */
function master(overrides: ConstructorParameters<typeof Harness>[0] = {}): Harness {
  const h = new Harness(overrides);
  h.start();
  h.advance(5000);
  expect(h.state).toBe('master');
  return h;
}

const reannounces = (actions: InstanceAction[]) => actions.filter((a) => a.type === 'reannounce');

describe('TTL / hop limit 255 whatever the destination (RFC 5798 7.1)', () => {
  it('a unicast advert with TTL 64 and priority 255 does not depose a multicast master', () => {
    const h = master();
    const actions = h.receive(STRANGER, 255, { ttl: 64, dst: OURS, intervalCs: 4095 });
    expect(states(actions)).toEqual([]);
    expect(actions).toEqual([{ type: 'drop', reason: 'bad-ttl', src: STRANGER }]);
    expect(h.state).toBe('master');
    expect(h.instance.status().masterAdvertIntervalMs).toBe(1000);
  });

  it('a multicast advert below 255 is dropped by the instance too', () => {
    const h = master();
    h.receive(STRANGER, 255, { ttl: 1 });
    h.receive(STRANGER, 255, { ttl: 254 });
    expect(h.state).toBe('master');
    expect(h.instance.status().counters.drops['bad-ttl']).toBe(2);
  });

  it('IPv6: hop limit 64 is dropped', () => {
    const h = master({ family: 6, primaryAddress: 'fe80::2', vips: [{ address: '2001:2::100', prefix: 64 }] });
    h.receive('fe80::66', 255, { ttl: 64 });
    expect(h.state).toBe('master');
    expect(h.instance.status().counters.drops['bad-ttl']).toBe(1);
  });

  it('unicast peers need 255 too, unless unicast_min_ttl allows routed peers', () => {
    const strict = master({ unicastPeers: [PEER] });
    strict.receive(PEER, 200, { ttl: 64, dst: OURS });
    expect(strict.state).toBe('master');
    expect(strict.instance.status().counters.drops['bad-ttl']).toBe(1);

    const routed = master({ unicastPeers: [PEER], unicastMinTtl: 62 });
    routed.receive(PEER, 200, { ttl: 61, dst: OURS });
    expect(routed.state).toBe('master');
    expect(states(routed.receive(PEER, 200, { ttl: 62, dst: OURS }))).toEqual(['master->backup:higher-priority']);
  });
});

describe('where adverts may come from', () => {
  it('multicast mode: an advert not sent to 224.0.0.18 is dropped, even with TTL 255', () => {
    const h = master();
    h.receive(STRANGER, 255, { dst: OURS });
    h.receive(STRANGER, 255, { dst: '224.0.0.19' });
    expect(h.state).toBe('master');
    expect(h.instance.status().counters.drops['wrong-destination']).toBe(2);
  });

  it('multicast mode over IPv6: only ff02::12', () => {
    const h = master({ family: 6, primaryAddress: 'fe80::2', vips: [{ address: '2001:2::100', prefix: 64 }] });
    h.receive('fe80::66', 255, { dst: 'fe80::2' });
    expect(h.state).toBe('master');
    expect(h.instance.status().counters.drops['wrong-destination']).toBe(1);
  });

  it('unicast mode: only the configured peers, TTL 255 or not', () => {
    const h = master({ unicastPeers: [PEER] });
    h.receive(STRANGER, 255, { dst: OURS });
    expect(h.state).toBe('master');
    expect(h.instance.status().counters.drops['unknown-peer']).toBe(1);
  });
});

describe('learning only from the master we follow', () => {
  it('a priority-1 advert with the other checksum does not switch what a master sends', () => {
    const h = master();
    h.receive(PEER, 1, { checksum: 'plain' });
    expect(h.instance.status().sendChecksum).toBe('pseudo-header');
    const [advert] = h.advance(1000).filter((a) => a.type === 'send-advert');
    expect(advert).toMatchObject({ checksum: 'pseudo-header' });
  });

  it('a backup learns the checksum and interval of its master, not of a lower sender', () => {
    const h = new Harness();
    h.start();
    h.receive(PEER, 200, { checksum: 'plain', intervalCs: 50 });
    expect(h.instance.status()).toMatchObject({ sendChecksum: 'plain', masterAdvertIntervalMs: 500 });
    // A lower, unknown sender with another checksum and a 40.95 s interval: it changes nothing.
    const before = h.deadline('master-down');
    expect(h.receive(STRANGER, 150, { checksum: 'pseudo-header', intervalCs: 4095 })).toEqual([]);
    expect(h.instance.status()).toMatchObject({ sendChecksum: 'plain', masterAdvertIntervalMs: 500, master: { address: PEER, priority: 200 } });
    expect(h.deadline('master-down')).toBe(before);
  });

  it('a backup without preemption still does not switch to a lower sender while its master speaks', () => {
    const h = new Harness({ preempt: false });
    h.start();
    h.receive(PEER, 200, { intervalCs: 100 });
    h.receive(STRANGER, 1, { intervalCs: 4095, checksum: 'plain' });
    expect(h.instance.status()).toMatchObject({ master: { address: PEER, priority: 200 }, masterAdvertIntervalMs: 1000, sendChecksum: 'pseudo-header' });
  });

  it('a higher sender wins the election and becomes the master we learn from', () => {
    const h = new Harness();
    h.start();
    h.receive(PEER, 200);
    h.receive(STRANGER, 201, { checksum: 'plain', intervalCs: 200 });
    expect(h.instance.status()).toMatchObject({ master: { address: STRANGER, priority: 201 }, sendChecksum: 'plain', masterAdvertIntervalMs: 2000 });
  });

  it('priority 0 from a stranger does not make a backup take over after Skew_Time; from the master it does', () => {
    const h = new Harness();
    h.start();
    h.receive(PEER, 200);
    const down = h.deadline('master-down');
    expect(h.receive(STRANGER, 0)).toEqual([]);
    expect(h.deadline('master-down')).toBe(down);
    h.receive(PEER, 0);
    expect(h.deadline('master-down')).toBe(h.time + (156 * 1000) / 256);
  });
});

describe('what a flood may cost', () => {
  it('a master answers lower-priority adverts at most once per second', () => {
    const h = master();
    let replies = 0;
    for (let i = 0; i < 1000; i++) {
      h.time += 1;
      replies += sent(h.receive(i % 2 === 0 ? PEER : STRANGER, 50)).length;
    }
    // 1000 adverts over 1 s: the first is answered, and one more once the second has passed.
    expect(replies).toBe(1);
    h.time += 1;
    expect(sent(h.receive(PEER, 50))).toEqual([100]);
    expect(h.instance.status().counters.repliesSuppressed).toBe(999);
  });

  it('and priority-0 adverts likewise', () => {
    const h = master();
    const replies = Array.from({ length: 100 }, () => sent(h.receive(STRANGER, 0)).length).reduce((a, b) => a + b, 0);
    expect(replies).toBe(1);
  });

  it('a 100 ms instance answers at most once per interval', () => {
    const h = master({ advertIntervalMs: 100 });
    h.receive(PEER, 50);
    h.time += 99;
    expect(sent(h.receive(PEER, 50))).toEqual([]);
    h.time += 1;
    expect(sent(h.receive(PEER, 50))).toEqual([100]);
  });

  it('every drop is reported as data for a throttled log', () => {
    const h = master();
    expect(kinds(h.receive(STRANGER, 255, { ttl: 64 }))).toEqual(['drop']);
  });
});

describe('a lower-priority master on the LAN (split brain)', () => {
  it('is answered and the VIPs re-announced once, not on each of its adverts', () => {
    const h = master();
    const first = h.receive(PEER, 50);
    expect(kinds(first)).toEqual(['send-advert', 'arm', 'reannounce']);
    expect(reannounces(first)).toEqual([{ type: 'reannounce', peer: PEER, peerPriority: 50 }]);
    let more = 0;
    for (let i = 0; i < 20; i++) {
      h.time += 1000;
      more += reannounces(h.receive(PEER, 50)).length;
    }
    expect(more).toBe(0);
  });

  it('an equal priority with a lower address is a split brain too', () => {
    const h = master();
    expect(reannounces(h.receive('198.18.0.1', 100))).toHaveLength(1);
  });

  it('a new episode after it fell silent for 30 intervals re-announces again', () => {
    const h = master();
    h.receive(PEER, 50);
    h.advance(30_000);
    expect(reannounces(h.receive(PEER, 50))).toEqual([]);
    h.advance(30_001);
    expect(reannounces(h.receive(PEER, 50))).toHaveLength(1);
  });

  it('a priority-0 advert or a backup starting up is no split brain', () => {
    const h = master();
    expect(reannounces(h.receive(PEER, 0))).toEqual([]);
    expect(reannounces(new Harness().start())).toEqual([]);
  });

  it('a new mastership starts a new episode', () => {
    const h = master();
    h.receive(PEER, 50);
    h.receive(STRANGER, 200);
    expect(h.state).toBe('backup');
    h.advance(5000);
    expect(h.state).toBe('master');
    expect(reannounces(h.receive(PEER, 50))).toHaveLength(1);
  });
});

describe('a configured unicast peer that is master below us', () => {
  it('checksum auto answers its first advert in its variant (keepalived old_unicast_checksum, which then goes silent)', () => {
    const h = master({ unicastPeers: [PEER] });
    const actions = h.receive(PEER, 50, { checksum: 'pseudo-header-multicast', dst: OURS });
    expect(h.instance.status().sendChecksum).toBe('pseudo-header-multicast');
    expect(actions).toMatchObject([{ type: 'send-advert', checksum: 'pseudo-header-multicast' }, { type: 'arm' }, { type: 'reannounce' }]);
  });

  it('its advert heard while we are still backup sets the variant we take over with', () => {
    const h = new Harness({ unicastPeers: [PEER], priority: 150 });
    h.start();
    h.receive(PEER, 50, { checksum: 'pseudo-header-multicast', dst: OURS });
    expect(h.instance.status().sendChecksum).toBe('pseudo-header-multicast');
  });

  it('an explicit checksum setting is kept', () => {
    const h = master({ unicastPeers: [PEER], checksum: 'rfc5798' });
    h.receive(PEER, 50, { checksum: 'pseudo-header-multicast', dst: OURS });
    expect(h.instance.status().sendChecksum).toBe('pseudo-header');
  });

  it('never in multicast mode, whoever keeps sending', () => {
    const h = master();
    for (let i = 0; i < 10; i++) {
      h.receive(PEER, 50, { checksum: 'plain' });
      h.time += 1000;
    }
    expect(h.instance.status().sendChecksum).toBe('pseudo-header');
  });
});
