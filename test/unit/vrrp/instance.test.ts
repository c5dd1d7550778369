import { describe, expect, it } from 'vitest';
import { compareAddresses } from '../../../src/vrrp/instance.js';
import { Harness, kinds, sent, states } from './harness.js';

// Priority 100, 1 s adverts (v3): Skew_Time = 156/256 s = 609.375 ms,
// Master_Down_Interval = 3 s + Skew_Time = 3609.375 ms.
const SKEW_100 = (156 * 1000) / 256;
const MDI_100 = 3000 + SKEW_100;

describe('startup and election (RFC 5798 6.4)', () => {
  it('a non-owner starts as backup with Master_Down_Timer = 3 x interval + Skew_Time', () => {
    const h = new Harness();
    expect(states(h.start())).toEqual(['initialize->backup:startup']);
    expect(h.deadline('master-down')).toBe(h.time + MDI_100);
  });

  it('becomes master when no advert arrives within Master_Down_Interval: VIPs, advert, announce, in that order', () => {
    const h = new Harness();
    h.start();
    expect(h.advance(MDI_100 - 1)).toEqual([]);
    const actions = h.advance(1);
    expect(kinds(actions)).toEqual(['state', 'add-vips', 'send-advert', 'announce', 'arm']);
    expect(states(actions)).toEqual(['backup->master:master-down']);
    expect(sent(actions)).toEqual([100]);
  });

  it('a master advertises every Advertisement_Interval', () => {
    const h = new Harness();
    h.start();
    h.advance(MDI_100);
    expect(sent(h.advance(3000))).toEqual([100, 100, 100]);
  });

  it('the advert timer keeps its deadlines: a late advert shortens the next gap, a stall of a whole interval restarts the schedule', () => {
    const h = new Harness();
    h.start();
    h.advance(MDI_100);
    const due = h.deadline('advert') as number;
    h.time = due + 30;
    expect(h.handle({ type: 'timer', timer: 'advert' }).at(-1)).toEqual({ type: 'arm', timer: 'advert', at: due + 1000 });
    h.time = due + 1000 + 1500;
    expect(h.handle({ type: 'timer', timer: 'advert' }).at(-1)).toEqual({ type: 'arm', timer: 'advert', at: h.time + 1000 });
  });

  it('the address owner (priority 255) goes straight to master', () => {
    const h = new Harness({ priority: 255 });
    const actions = h.start();
    expect(states(actions)).toEqual(['initialize->master:owner']);
    expect(sent(actions)).toEqual([255]);
  });

  it('the owner preempts even with preempt off', () => {
    const h = new Harness({ priority: 255, preempt: false });
    h.start();
    h.receive('198.18.0.9', 254);
    expect(h.state).toBe('master');
  });

  it('a backup hearing a higher-priority master keeps resetting Master_Down_Timer', () => {
    const h = new Harness();
    h.start();
    for (let i = 0; i < 10; i++) {
      h.advance(1000);
      h.receive('198.18.0.9', 200);
    }
    expect(h.state).toBe('backup');
    expect(h.instance.status().master).toEqual({ address: '198.18.0.9', priority: 200 });
  });

  it('an equal-priority advert keeps a backup backup (no preemption on a tie)', () => {
    const h = new Harness();
    h.start();
    for (let i = 0; i < 10; i++) {
      h.advance(1000);
      h.receive('198.18.0.1', 100);
    }
    expect(h.state).toBe('backup');
  });
});

describe('VRRPv3 learns the master interval', () => {
  it('Master_Down_Interval follows the advertised Max Adver Int', () => {
    const h = new Harness();
    h.start();
    h.receive('198.18.0.9', 200, { intervalCs: 50 });
    // 3 x 500 ms + (156 x 500 / 256) ms
    expect(h.deadline('master-down')).toBe(h.time + 1500 + (156 * 500) / 256);
    expect(h.instance.status().masterAdvertIntervalMs).toBe(500);
  });

  it('a master taking over advertises its own interval, not the learned one', () => {
    const h = new Harness();
    h.start();
    h.receive('198.18.0.9', 200, { intervalCs: 50 });
    const actions = h.advance(2000);
    expect(h.state).toBe('master');
    const advert = actions.find((a) => a.type === 'send-advert');
    expect(advert).toMatchObject({ advert: { maxAdvertIntervalCs: 100 } });
  });

  it('VRRPv2 drops an advert whose interval differs (RFC 3768 7.1)', () => {
    const h = new Harness({ version: 2 });
    h.start();
    h.receive('198.18.0.9', 200, { advert: { advertIntervalSec: 2 } });
    expect(h.instance.status().counters.drops['interval-mismatch']).toBe(1);
    expect(h.instance.status().counters.advertsReceived).toBe(0);
  });

  it('VRRPv2 uses a one-second Skew_Time base whatever the interval', () => {
    const h = new Harness({ version: 2, advertIntervalMs: 2000 });
    h.start();
    expect(h.deadline('master-down')).toBe(h.time + 6000 + SKEW_100);
  });
});

describe('preemption', () => {
  it('preempt (default): a higher-priority backup ignores a lower master and takes over after Master_Down_Interval', () => {
    const h = new Harness({ priority: 150 });
    h.start();
    const t0 = h.time;
    const deadline = h.deadline('master-down');
    h.receive('198.18.0.9', 100);
    expect(h.deadline('master-down')).toBe(deadline);
    h.advance(1000);
    h.receive('198.18.0.9', 100);
    const actions = h.advance((deadline ?? 0) - h.time);
    expect(states(actions)).toEqual(['backup->master:master-down']);
    expect(h.time - t0).toBe(3000 + (106 * 1000) / 256);
  });

  it('nopreempt: a higher-priority backup follows a lower master while it advertises', () => {
    const h = new Harness({ priority: 150, preempt: false });
    h.start();
    for (let i = 0; i < 20; i++) {
      h.advance(1000);
      h.receive('198.18.0.9', 100);
    }
    expect(h.state).toBe('backup');
  });

  it('nopreempt still takes over when the master goes silent', () => {
    const h = new Harness({ priority: 150, preempt: false });
    h.start();
    h.receive('198.18.0.9', 100);
    h.advance(4000);
    expect(h.state).toBe('master');
  });

  it('preempt_delay: follows the lower master for the delay, then takes over', () => {
    const h = new Harness({ priority: 150, preemptDelayMs: 5000 });
    h.start();
    h.receive('198.18.0.9', 100);
    expect(h.deadline('preempt-delay')).toBe(h.time + 5000);
    for (let i = 0; i < 4; i++) {
      h.advance(1000);
      expect(h.receive('198.18.0.9', 100).some((a) => a.type === 'arm' && a.timer === 'master-down')).toBe(true);
    }
    expect(h.state).toBe('backup');
    const actions = h.advance(1000);
    expect(states(actions)).toEqual(['backup->master:preempt-delay']);
  });

  it('preempt_delay is abandoned when a higher-priority master appears', () => {
    const h = new Harness({ priority: 150, preemptDelayMs: 5000 });
    h.start();
    h.receive('198.18.0.9', 100);
    h.advance(1000);
    h.receive('198.18.0.8', 200);
    expect(h.deadline('preempt-delay')).toBeUndefined();
    h.advance(1000);
    h.receive('198.18.0.8', 200);
    h.advance(1000);
    h.receive('198.18.0.8', 200);
    h.advance(1000);
    expect(h.state).toBe('backup');
  });
});

describe('master receiving adverts', () => {
  const master = (priority = 100): Harness => {
    const h = new Harness({ priority });
    h.start();
    h.advance(5000);
    expect(h.state).toBe('master');
    return h;
  };

  it('a higher priority takes mastership: VIPs removed, Master_Down_Timer armed on its interval', () => {
    const h = master();
    const actions = h.receive('198.18.0.9', 200, { intervalCs: 200 });
    expect(states(actions)).toEqual(['master->backup:higher-priority']);
    expect(kinds(actions)).toContain('remove-vips');
    expect(h.deadline('advert')).toBeUndefined();
    expect(h.deadline('master-down')).toBe(h.time + 6000 + (156 * 2000) / 256);
  });

  it('equal priority: the higher primary address wins', () => {
    const h = master();
    expect(states(h.receive('198.18.0.3', 100))).toEqual(['master->backup:higher-priority']);
  });

  it('equal priority: a lower primary address loses and is answered at once', () => {
    const h = master();
    const actions = h.receive('198.18.0.1', 100);
    expect(h.state).toBe('master');
    expect(sent(actions)).toEqual([100]);
  });

  it('addresses compare as numbers, not text', () => {
    expect(compareAddresses('198.18.0.10', '198.18.0.9')).toBeGreaterThan(0);
    expect(compareAddresses('fe80::a', 'fe80::9')).toBeGreaterThan(0);
    expect(compareAddresses('fe80::1:0', 'fe80::ffff')).toBeGreaterThan(0);
  });

  it('RFC 9568: a lower-priority advert is answered immediately and the Adver_Timer restarts', () => {
    const h = master(200);
    h.advance(300);
    const actions = h.receive('198.18.0.9', 100);
    expect(sent(actions)).toEqual([200]);
    expect(h.deadline('advert')).toBe(h.time + 1000);
    expect(h.state).toBe('master');
  });

  it('a priority-0 advert from another router is answered at once', () => {
    const h = master();
    expect(sent(h.receive('198.18.0.9', 0))).toEqual([100]);
  });
});

describe('priority 0: the master stops', () => {
  it('shutdown: a master sends priority 0 and drops its VIPs', () => {
    const h = new Harness();
    h.start();
    h.advance(5000);
    const actions = h.handle({ type: 'shutdown' });
    expect(sent(actions)).toEqual([0]);
    expect(kinds(actions)).toContain('remove-vips');
    expect(states(actions)).toEqual(['master->initialize:shutdown']);
    expect(h.deadline('advert')).toBeUndefined();
  });

  it('a backup takes over Skew_Time after priority 0, not Master_Down_Interval', () => {
    const h = new Harness();
    h.start();
    h.receive('198.18.0.9', 200);
    h.advance(500);
    h.receive('198.18.0.9', 0);
    expect(h.deadline('master-down')).toBe(h.time + SKEW_100);
    expect(states(h.advance(SKEW_100))).toEqual(['backup->master:master-down']);
  });

  it('with two backups, the higher priority answers first and the other stays backup', () => {
    const high = new Harness({ priority: 150, primaryAddress: '198.18.0.3' });
    const low = new Harness({ priority: 100 });
    for (const h of [high, low]) {
      h.start();
      h.receive('198.18.0.9', 200);
      h.receive('198.18.0.9', 0);
    }
    high.advance((106 * 1000) / 256);
    expect(high.state).toBe('master');
    low.advance((106 * 1000) / 256);
    low.receive('198.18.0.3', 150);
    low.advance(1000);
    expect(low.state).toBe('backup');
  });
});

describe('checks that need the configuration', () => {
  it.each([
    ['version-mismatch', { version: 2 as const, advertIntervalSec: 1, authType: 0 }],
  ])('drops %s', (reason, advert) => {
    const h = new Harness();
    h.start();
    h.receive('198.18.0.9', 200, { advert });
    expect(h.instance.status().counters.drops[reason as 'version-mismatch']).toBe(1);
  });

  it('drops VRRPv2 with authentication', () => {
    const h = new Harness({ version: 2 });
    h.start();
    h.receive('198.18.0.9', 200, { advert: { authType: 1 } });
    expect(h.instance.status().counters.drops['auth-mismatch']).toBe(1);
  });

  it('drops our own looped-back advert', () => {
    const h = new Harness();
    h.start();
    h.receive('198.18.0.2', 200);
    expect(h.instance.status().counters.drops['own-advert']).toBe(1);
  });

  it('unicast: drops adverts from unknown peers', () => {
    const h = new Harness({ unicastPeers: ['198.18.0.3'] });
    h.start();
    h.receive('198.18.0.9', 200);
    h.receive('198.18.0.3', 200);
    expect(h.instance.status().counters.drops['unknown-peer']).toBe(1);
    expect(h.instance.status().counters.advertsReceived).toBe(1);
  });

  it('drops adverts while not running', () => {
    const h = new Harness();
    h.receive('198.18.0.9', 200);
    expect(h.instance.status().counters.drops['not-running']).toBe(1);
  });

  it('counts, but accepts, an address list that differs from ours (RFC 5798 6.4.2 says log it)', () => {
    const h = new Harness();
    h.start();
    h.receive('198.18.0.9', 200, { advert: { addresses: ['198.18.0.111'] } });
    const c = h.instance.status().counters;
    expect([c.addressMismatches, c.advertsReceived]).toEqual([1, 1]);
  });
});

describe('timers are deadlines', () => {
  it('a timer event before its deadline (an advert moved it) re-arms instead of acting', () => {
    const h = new Harness();
    h.start();
    h.advance(3000);
    h.receive('198.18.0.9', 200);
    const deadline = h.deadline('master-down');
    h.time += 700;
    expect(h.instance.handle({ type: 'timer', timer: 'master-down' })).toEqual([{ type: 'arm', timer: 'master-down', at: deadline }]);
    expect(h.state).toBe('backup');
  });

  it('a disarmed timer firing does nothing', () => {
    const h = new Harness();
    expect(h.instance.handle({ type: 'timer', timer: 'advert' })).toEqual([]);
  });
});

describe('tracking', () => {
  it('a master whose priority drops advertises the new priority at once', () => {
    const h = new Harness({ priority: 150 });
    h.start();
    h.advance(5000);
    expect(sent(h.handle({ type: 'tracking', priority: 90, fault: false }))).toEqual([90]);
    expect(h.deadline('advert')).toBe(h.time + 1000);
  });

  it('then a higher backup preempts it', () => {
    const h = new Harness({ priority: 150 });
    h.start();
    h.advance(5000);
    h.handle({ type: 'tracking', priority: 90, fault: false });
    expect(states(h.receive('198.18.0.9', 100))).toEqual(['master->backup:higher-priority']);
  });

  it('fault: a master sends priority 0, removes VIPs and goes quiet; clearing it restarts as backup', () => {
    const h = new Harness();
    h.start();
    h.advance(5000);
    const actions = h.handle({ type: 'tracking', priority: 100, fault: true });
    expect(kinds(actions)).toEqual(['own-fault', 'send-advert', 'state', 'remove-vips', 'disarm']);
    expect(sent(actions)).toEqual([0]);
    expect(h.advance(10_000)).toEqual([]);
    const back = h.handle({ type: 'tracking', priority: 100, fault: false });
    expect(states(back)).toEqual(['fault->backup:fault-cleared']);
  });

  it('an owner in fault does not hold the VIPs, and comes back as master', () => {
    const h = new Harness({ priority: 255 });
    h.handle({ type: 'tracking', priority: 255, fault: true });
    expect(states(h.start())).toEqual(['initialize->fault:fault']);
    expect(states(h.handle({ type: 'tracking', priority: 255, fault: false }))).toEqual(['fault->master:fault-cleared']);
  });

  it('the owner ignores priority adjustments', () => {
    const h = new Harness({ priority: 255 });
    h.start();
    h.handle({ type: 'tracking', priority: 200, fault: false });
    expect(h.instance.status().priority).toBe(255);
  });
});

describe('manual failover', () => {
  it('step-down: priority 0, backup, and no preemption during the hold even over a lower peer', () => {
    const h = new Harness({ priority: 150 });
    h.start();
    h.advance(5000);
    const outcome = h.instance.failover('step-down', 30_000);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    h.apply(outcome.actions);
    expect(sent(outcome.actions)).toEqual([0]);
    expect(states(outcome.actions)).toEqual(['master->backup:step-down']);
    for (let i = 0; i < 29; i++) {
      h.advance(1000);
      h.receive('198.18.0.9', 100);
    }
    expect(h.state).toBe('backup');
    // After the hold, preemption resumes: the lower peer's adverts are discarded again.
    for (let i = 0; i < 6 && h.state === 'backup'; i++) {
      h.advance(1000);
      h.receive('198.18.0.9', 100);
    }
    expect(states(h.log).at(-1)).toBe('backup->master:master-down');
  });

  it('step-down with nobody taking over: master again when the hold ends, not before', () => {
    const h = new Harness();
    h.start();
    h.advance(5000);
    const outcome = h.instance.failover('step-down', 10_000);
    if (outcome.ok) h.apply(outcome.actions);
    const t0 = h.time;
    h.advance(9_999);
    expect(h.state).toBe('backup');
    h.advance(1);
    expect(h.state).toBe('master');
    expect(h.time - t0).toBe(10_000);
  });

  it('take-over: a backup becomes master now, advertising above the master for the hold', () => {
    const h = new Harness({ priority: 100 });
    h.start();
    h.receive('198.18.0.9', 200);
    const outcome = h.instance.failover('take-over', 60_000);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    h.apply(outcome.actions);
    expect(states(outcome.actions)).toEqual(['backup->master:take-over']);
    expect(sent(outcome.actions)).toEqual([201]);
    // The old master answers with its lower priority: it backs off, we stay.
    h.receive('198.18.0.9', 200);
    expect(h.state).toBe('master');
    // Hold over: we advertise our own priority again, and the better peer preempts as usual.
    expect(sent(h.advance(60_000)).at(-1)).toBe(100);
    expect(states(h.receive('198.18.0.9', 200))).toEqual(['master->backup:higher-priority']);
  });

  it('refuses to take over from the address owner, or to step down when not master', () => {
    const h = new Harness();
    h.start();
    expect(h.instance.failover('step-down', 1000)).toMatchObject({ ok: false });
    h.receive('198.18.0.9', 255);
    expect(h.instance.failover('take-over', 1000)).toMatchObject({ ok: false, reason: expect.stringContaining('owns') });
  });
});

describe('checksum variant to send (VRRPv3 over IPv4)', () => {
  it('auto: RFC 5798 until a peer is heard, then whatever the peers send', () => {
    const h = new Harness();
    h.start();
    expect(h.instance.status().sendChecksum).toBe('pseudo-header');
    h.receive('198.18.0.9', 200, { checksum: 'plain' });
    expect(h.instance.status().sendChecksum).toBe('plain');
    expect(h.instance.status().peers).toMatchObject([{ address: '198.18.0.9', checksum: 'plain', priority: 200 }]);
  });

  it('configured variants are used regardless of peers', () => {
    const h = new Harness({ checksum: 'rfc9568' });
    h.start();
    h.receive('198.18.0.9', 200, { checksum: 'pseudo-header' });
    expect(h.instance.status().sendChecksum).toBe('plain');
    expect(new Harness({ checksum: 'rfc5798' }).instance.status().sendChecksum).toBe('pseudo-header');
  });

  it('IPv6 always uses the pseudo-header, VRRPv2 never', () => {
    expect(new Harness({ family: 6, checksum: 'rfc9568', primaryAddress: 'fe80::2', vips: [{ address: '2001:2::100', prefix: 64 }] }).instance.status().sendChecksum).toBe('pseudo-header');
    expect(new Harness({ version: 2 }).instance.status().sendChecksum).toBe('plain');
  });
});

describe('counters', () => {
  it('counts adverts, transitions and time in each state, and how long the current state has lasted', () => {
    const h = new Harness();
    h.start();
    h.receive('198.18.0.9', 200);
    h.advance(MDI_100);
    h.advance(2000);
    expect(h.instance.status()).toMatchObject({ state: 'master', inStateMs: 2000 });
    h.handle({ type: 'shutdown' });
    const s = h.instance.status();
    expect(s.counters).toMatchObject({ advertsReceived: 1, advertsSent: 4, priorityZeroSent: 1, transitions: 3 });
    expect(s.counters.entered).toEqual({ initialize: 1, backup: 1, master: 1, fault: 0 });
    expect(s.timeInStateMs.backup).toBe(MDI_100);
    expect(s.timeInStateMs.master).toBe(2000);
  });
});
