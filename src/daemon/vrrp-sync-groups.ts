// The sync groups of the running VRRP instances (keepalived's vrrp_sync_group; the pure rules
// are src/vrrp/sync-group.ts): rebuilt at start and on reload, where a group whose members all
// kept running keeps its state; fed every member's actions; the orders that come back go to the
// members, and a change of the group's own state is logged and runs the group's notify hooks.
import type { Logger } from 'pino';
import type { SyncGroupConfig } from '../config/types.js';
import { notifySettings } from '../vrrp/from-config.js';
import type { InstanceAction, SyncCommand } from '../vrrp/instance.js';
import type { NotifySettings } from '../vrrp/settings.js';
import { SyncGroup } from '../vrrp/sync-group.js';
import type { VrrpNotify } from './vrrp-notify.js';
import type { VrrpSyncGroupView } from './vrrp-status.js';

interface ManagedGroup {
  group: SyncGroup;
  notify: NotifySettings;
}

export class VrrpSyncGroups {
  private readonly groups = new Map<string, ManagedGroup>();

  constructor(
    private readonly log: Logger,
    private readonly notify: VrrpNotify,
    /** Sends a group's order to one of its members. */
    private readonly order: (member: string, command: SyncCommand) => void,
  ) {}

  /** The groups of `configs`; one whose members are all in `running` (instances that kept running) keeps its state. */
  rebuild(configs: readonly SyncGroupConfig[], running: ReadonlySet<string> = new Set()): void {
    const kept = new Map([...this.groups].filter(([, g]) => g.group.members.every((m) => running.has(m))));
    this.groups.clear();
    for (const g of configs) {
      this.groups.set(g.name, kept.get(g.name) ?? { group: new SyncGroup(g.name, g.instances), notify: notifySettings(g.notify) });
    }
  }

  /** An action of `member`, an instance of the group `groupName` (if any). */
  observe(groupName: string | undefined, member: string, action: InstanceAction): void {
    const managed = groupName !== undefined ? this.groups.get(groupName) : undefined;
    if (!managed) return;
    const { group } = managed;
    const outcome = group.observe(member, action);
    for (const order of outcome.orders) this.order(order.member, order.command);
    if (outcome.groupState && action.type === 'state') {
      const { from, to } = outcome.groupState;
      this.log.info({ syncGroup: group.name, from, to }, `VRRP sync group ${group.name} is ${to}`);
      this.notify.group(managed.notify, group.name, { from, to, reason: action.reason });
    }
  }

  views(): VrrpSyncGroupView[] {
    return [...this.groups.values()].map(({ group }) => ({
      name: group.name,
      state: group.currentState,
      members: [...group.members],
      faultyMembers: group.faultyMembers,
    }));
  }
}
