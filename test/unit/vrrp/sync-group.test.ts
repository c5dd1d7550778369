import { describe, expect, it } from 'vitest';
import type { InstanceAction } from '../../../src/vrrp/instance.js';
import { SyncGroup } from '../../../src/vrrp/sync-group.js';
import { Harness, sent, states } from './harness.js';

/** Two instances on one fake clock, wired through a SyncGroup the way the daemon wires runners. */
class Group {
  readonly members: Record<'out' | 'in', Harness>;
  readonly group = new SyncGroup('lb', ['out', 'in']);
  readonly groupStates: string[] = [];

  constructor(priorities: { out: number; in: number } = { out: 150, in: 150 }) {
    this.members = {
      out: new Harness({ name: 'out', vrid: 1, priority: priorities.out }),
      in: new Harness({ name: 'in', vrid: 2, priority: priorities.in, vips: [{ address: '198.18.1.1', prefix: 24 }] }),
    };
  }

  /** Runs `actions` of `member` through the group, applying the orders it gives (recursively). */
  spread(member: 'out' | 'in', actions: InstanceAction[]): void {
    for (const action of actions) {
      const outcome = this.group.observe(member, action);
      if (outcome.groupState) this.groupStates.push(`${outcome.groupState.from}->${outcome.groupState.to}`);
      for (const order of outcome.orders) {
        const target = order.member as 'out' | 'in';
        this.spread(target, this.members[target].handle({ type: 'sync', command: order.command }));
      }
    }
  }

  handle(member: 'out' | 'in', run: (h: Harness) => InstanceAction[]): InstanceAction[] {
    const actions = run(this.members[member]);
    this.spread(member, actions);
    return actions;
  }

  start(): void {
    this.handle('out', (h) => h.start());
    this.handle('in', (h) => h.start());
  }

  /** Advances both clocks together, in small steps so timers interleave as they would. */
  advance(ms: number): void {
    for (let t = 0; t < ms; t += 10) {
      this.handle('out', (h) => h.advance(10));
      this.handle('in', (h) => h.advance(10));
    }
  }

  get states(): string {
    return `${this.members.out.state}/${this.members.in.state}`;
  }
}

describe('sync groups', () => {
  it('a member winning mastership pulls the other to master at once', () => {
    const g = new Group({ out: 150, in: 100 });
    g.start();
    g.advance(3500);
    expect(g.states).toBe('master/master');
    expect(states(g.members.in.log)).toEqual(['initialize->backup:startup', 'backup->master:sync-group']);
    expect(g.groupStates).toEqual(['initialize->backup', 'backup->master']);
  });

  it('a member losing mastership pulls the other to backup with priority 0, and it does not preempt back', () => {
    const g = new Group();
    g.start();
    g.advance(4000);
    expect(g.states).toBe('master/master');
    // The peer node's `out` has a higher priority; its `in` a lower one.
    const pulled = g.members.in.log.length;
    g.handle('out', (h) => h.receive('198.18.0.9', 200));
    expect(g.states).toBe('backup/backup');
    expect(sent(g.members.in.log.slice(pulled))).toEqual([0]);
    for (let i = 0; i < 10; i++) {
      g.handle('out', (h) => h.receive('198.18.0.9', 200));
      g.handle('in', (h) => h.receive('198.18.1.9', 100));
      g.advance(1000);
    }
    expect(g.states).toBe('backup/backup');
  });

  it('a held member still takes over when the other node goes silent, and pulls the group back', () => {
    const g = new Group();
    g.start();
    g.advance(4000);
    g.handle('out', (h) => h.receive('198.18.0.9', 200));
    g.handle('in', (h) => h.receive('198.18.1.9', 100));
    g.advance(5000);
    expect(g.states).toBe('master/master');
  });

  it('a tracking fault in one member faults all; clearing it brings all back', () => {
    const g = new Group();
    g.start();
    g.advance(4000);
    g.handle('in', (h) => h.handle({ type: 'tracking', priority: 150, fault: true }));
    expect(g.states).toBe('fault/fault');
    expect(g.group.currentState).toBe('fault');
    g.handle('in', (h) => h.handle({ type: 'tracking', priority: 150, fault: false }));
    expect(g.states).toBe('backup/backup');
    g.advance(4000);
    expect(g.states).toBe('master/master');
  });

  it('overlapping faults: the group stays in fault until the last one clears', () => {
    const g = new Group();
    g.start();
    g.handle('in', (h) => h.handle({ type: 'tracking', priority: 150, fault: true }));
    g.handle('out', (h) => h.handle({ type: 'tracking', priority: 150, fault: true }));
    g.handle('in', (h) => h.handle({ type: 'tracking', priority: 150, fault: false }));
    expect(g.states).toBe('fault/fault');
    expect(g.group.faultyMembers).toEqual(['out']);
    g.handle('out', (h) => h.handle({ type: 'tracking', priority: 150, fault: false }));
    expect(g.states).toBe('backup/backup');
  });

  it('ignores instances that are not members', () => {
    const g = new SyncGroup('lb', ['a']);
    expect(g.observe('b', { type: 'state', from: 'backup', to: 'master', reason: 'master-down' })).toEqual({ orders: [] });
  });
});
