// Sync groups (keepalived's vrrp_sync_group): instances that must be master on the same node,
// e.g. the outside VIP and the inside gateway of a NAT load balancer. Pure: it watches each
// member's actions and answers with commands for the members.
//   - A member that wins mastership on its own pulls the others to master.
//   - A member that loses it pulls the others to backup, and they stop preempting until the
//     group is master again, so two groups split across nodes do not fight each other.
//   - While any member has a tracking fault, every member is in fault.
// Transitions a command caused carry reason 'sync-group' and are not spread again.
import type { InstanceAction, SyncCommand, VrrpState } from './instance.js';

export interface SyncOrder {
  member: string;
  command: SyncCommand;
}

export interface SyncOutcome {
  orders: SyncOrder[];
  /** Set when the group's own state changed (for the group's notify hooks). */
  groupState?: { from: VrrpState; to: VrrpState };
}

export class SyncGroup {
  private readonly faulty = new Set<string>();
  private readonly memberStates = new Map<string, VrrpState>();
  private state: VrrpState = 'initialize';

  constructor(
    readonly name: string,
    readonly members: readonly string[],
  ) {
    for (const m of members) this.memberStates.set(m, 'initialize');
  }

  /** The group's state: fault if any member is, master if all are, initialize if all are, else backup. */
  get currentState(): VrrpState {
    return this.state;
  }

  get faultyMembers(): string[] {
    return [...this.faulty];
  }

  /** What follows from `action`, which `member` just produced. */
  observe(member: string, action: InstanceAction): SyncOutcome {
    if (!this.memberStates.has(member)) return { orders: [] };
    if (action.type === 'own-fault') return { orders: this.faultChanged(member, action.fault) };
    if (action.type !== 'state') return { orders: [] };
    this.memberStates.set(member, action.to);
    const orders = action.reason === 'sync-group' ? [] : this.spread(member, action.from, action.to);
    const from = this.state;
    this.state = this.aggregate();
    return from === this.state ? { orders } : { orders, groupState: { from, to: this.state } };
  }

  private faultChanged(member: string, fault: boolean): SyncOrder[] {
    const before = this.faulty.size;
    if (fault) this.faulty.add(member);
    else this.faulty.delete(member);
    if (before === 0 && this.faulty.size > 0) return this.all('fault');
    if (before > 0 && this.faulty.size === 0) return this.all('clear-fault');
    return [];
  }

  private spread(member: string, from: VrrpState, to: VrrpState): SyncOrder[] {
    if (to === 'master') return this.others(member, 'master');
    if (from === 'master' && to === 'backup') return this.others(member, 'backup');
    return [];
  }

  private aggregate(): VrrpState {
    const states = [...this.memberStates.values()];
    if (states.includes('fault')) return 'fault';
    if (states.every((s) => s === 'master')) return 'master';
    if (states.every((s) => s === 'initialize')) return 'initialize';
    return 'backup';
  }

  private all(command: SyncCommand): SyncOrder[] {
    return this.members.map((member) => ({ member, command }));
  }

  private others(member: string, command: SyncCommand): SyncOrder[] {
    return this.members.filter((m) => m !== member).map((m) => ({ member: m, command }));
  }
}
