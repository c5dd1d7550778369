// How the VRRP thread asks for CPU time (vrrp.realtime_priority): SCHED_RR when configured and
// allowed, nice -10 when off or refused (said once, not on every reload), and the host applies
// the configured priority on start and on every reload. The real system calls are exercised by
// the netns timing test (the daemon's VRRP thread is its only SCHED_RR thread).
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { VrrpThreadScheduling, VRRP_THREAD_NICE } from '../../../src/daemon/vrrp-thread-scheduling.js';
import { relayedLogger, VrrpThreadHost } from '../../../src/daemon/vrrp-thread-host.js';
import { VrrpThread } from '../../../src/daemon/vrrp-thread.js';
import type { SchedulingResult, ThreadScheduling } from '../../../src/kernel/thread-scheduling.js';
import { config, FakeKernel, logSink, web } from './vrrp-fakes.js';

const refused = (): SchedulingResult => ({ ok: false, error: Object.assign(new Error('sched_setscheduler(SCHED_RR): EPERM (Operation not permitted)'), { code: 'EPERM' }) });

function scheduling(answer: (s: ThreadScheduling) => SchedulingResult = () => ({ ok: true, tid: 42 })) {
  const calls: ThreadScheduling[] = [];
  const { logger, lines } = logSink();
  const s = new VrrpThreadScheduling((req) => (calls.push(req), answer(req)), logger);
  const warnings = () => lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40).map((l) => l.msg);
  return { s, calls, warnings };
}

describe('VrrpThreadScheduling', () => {
  it('runs the thread under SCHED_RR at the configured priority, and at nice -10 when it is 0', () => {
    const { s, calls, warnings } = scheduling();
    s.use(10);
    s.use(0);
    expect(calls).toEqual([{ policy: 'realtime', priority: 10 }, { policy: 'normal', nice: VRRP_THREAD_NICE }]);
    expect(warnings()).toEqual([]);
  });

  it('falls back to nice -10 when SCHED_RR is refused, and says so once across reloads', () => {
    const { s, calls, warnings } = scheduling((req) => (req.policy === 'realtime' ? refused() : { ok: true, tid: 42 }));
    s.use(10);
    s.use(0);
    s.use(20);
    expect(calls).toEqual([
      { policy: 'realtime', priority: 10 },
      { policy: 'normal', nice: VRRP_THREAD_NICE },
      { policy: 'normal', nice: VRRP_THREAD_NICE },
      { policy: 'realtime', priority: 20 },
      { policy: 'normal', nice: VRRP_THREAD_NICE },
    ]);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(/cannot run the VRRP thread under SCHED_RR \(vrrp.realtime_priority 10; needs CAP_SYS_NICE/);
  });

  it('an unchanged priority is not applied again', () => {
    const { s, calls } = scheduling();
    s.use(10);
    s.use(10);
    expect(calls).toHaveLength(1);
  });
});

describe('VrrpThreadHost and vrrp.realtime_priority', () => {
  it('applies the configured priority on start and on reload', async () => {
    const { port1, port2 } = new MessageChannel();
    const { logger } = logSink();
    const used: number[] = [];
    new VrrpThreadHost(port2, { log: relayedLogger(port2, logger.level), kernel: new FakeKernel(), exit: () => undefined, scheduling: { use: (p) => used.push(p) } });
    const thread = VrrpThread.connect(port1, logger);
    try {
      const base = config(web());
      await thread.start(base);
      await thread.reload({ ...base, vrrp: { ...base.vrrp, realtime_priority: 0 } });
      expect(used).toEqual([10, 0]);
    } finally {
      await thread.stop();
      port1.close();
      port2.close();
    }
  });
});
