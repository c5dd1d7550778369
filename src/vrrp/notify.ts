// Notify hooks as data: which argv arrays to run for a state change, with the facts in the
// environment (no shell, no argument splicing, so names and reasons cannot inject anything).
// The `any` hook also gets the name and the new state appended as two arguments, the way
// keepalived's `notify` script gets them. Running them in order is notify-spawn.ts.
import type { ExecCommand } from '../exec/run.js';
import type { InstanceSettings, NotifySettings } from './settings.js';
import type { TransitionReason, VrrpState } from './instance.js';

/** The states hooks are named after; `stop` is an instance shut down (back to initialize). */
export type NotifyState = 'master' | 'backup' | 'fault' | 'stop';

export interface NotifyEvent {
  kind: 'instance' | 'group';
  name: string;
  state: NotifyState;
  previous: NotifyState | 'initialize';
  reason: TransitionReason;
  /** Instance only. */
  vrid?: number;
  interface?: string;
  priority?: number;
}

export interface NotifyCommand extends ExecCommand {
  env: Record<string, string>;
}

/** Hooks of one instance, or of one sync group, run one at a time in this queue. */
export function notifyKey(event: Pick<NotifyEvent, 'kind' | 'name'>): string {
  return `${event.kind} ${event.name}`;
}

export function notifyState(state: VrrpState): NotifyState {
  return state === 'initialize' ? 'stop' : state;
}

/** The notify event for an instance's `state` action. */
export function instanceNotifyEvent(
  settings: Pick<InstanceSettings, 'name' | 'vrid' | 'interface'>,
  transition: { from: VrrpState; to: VrrpState; reason: TransitionReason },
  priority: number,
): NotifyEvent {
  return {
    kind: 'instance',
    name: settings.name,
    state: notifyState(transition.to),
    previous: transition.from === 'initialize' ? 'initialize' : notifyState(transition.from),
    reason: transition.reason,
    vrid: settings.vrid,
    interface: settings.interface,
    priority,
  };
}

/** The notify event for a sync group's change of state. */
export function groupNotifyEvent(name: string, transition: { from: VrrpState; to: VrrpState; reason: TransitionReason }): NotifyEvent {
  return {
    kind: 'group',
    name,
    state: notifyState(transition.to),
    previous: transition.from === 'initialize' ? 'initialize' : notifyState(transition.from),
    reason: transition.reason,
  };
}

/**
 * The hooks to run, state-specific first, then `any` with the name and state appended. The
 * environment (README "Notify hooks"): LVSD_VRRP_KIND (instance | group), LVSD_VRRP_NAME,
 * LVSD_VRRP_STATE, LVSD_VRRP_PREVIOUS_STATE, LVSD_VRRP_REASON and, for an instance,
 * LVSD_VRRP_VRID, LVSD_VRRP_INTERFACE, LVSD_VRRP_PRIORITY.
 */
export function notifyCommands(hooks: NotifySettings | undefined, event: NotifyEvent): NotifyCommand[] {
  if (!hooks) return [];
  const env: Record<string, string> = {
    LVSD_VRRP_KIND: event.kind,
    LVSD_VRRP_NAME: event.name,
    LVSD_VRRP_STATE: event.state,
    LVSD_VRRP_PREVIOUS_STATE: event.previous,
    LVSD_VRRP_REASON: event.reason,
  };
  if (event.vrid !== undefined) env.LVSD_VRRP_VRID = String(event.vrid);
  if (event.interface !== undefined) env.LVSD_VRRP_INTERFACE = event.interface;
  if (event.priority !== undefined) env.LVSD_VRRP_PRIORITY = String(event.priority);
  const commands: NotifyCommand[] = [];
  const specific = hooks[event.state];
  if (specific && specific.length > 0) commands.push({ argv: specific, env });
  if (hooks.any && hooks.any.length > 0) commands.push({ argv: [...hooks.any, event.name, event.state], env });
  return commands;
}
