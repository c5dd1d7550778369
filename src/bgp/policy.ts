// The announcement policy: which VIPs a director announces, and what to change in the kernel
// table to get there. Pure; the daemon feeds it the services' state, announcer.ts applies it.
//
// A VIP is announced while at least one service on it is up: its quorum is met, the operator
// has not drained (disabled) it, and the node is not in maintenance. A director that cannot
// serve a VIP must not attract its traffic: the router's ECMP would keep sending it a share of
// the flows. When lvsd stops, nothing is announced (withdrawn before the services go).

export interface ServiceAnnounceState {
  vip?: string | undefined;
  /** Quorum met (the reconciler's verdict); false until it has one. */
  quorumMet: boolean;
  /** Drained or disabled as a whole by the operator. */
  disabled: boolean;
}

export interface AnnounceInput {
  /** The VIPs the bgp section announces (rules/bgp.ts: each is some service's VIP). */
  vips: readonly string[];
  services: readonly ServiceAnnounceState[];
  /** The whole node is in maintenance: withdraw everything, keep serving existing connections. */
  maintenance: boolean;
}

/** The VIPs to announce, sorted. */
export function announcedVips(input: AnnounceInput): string[] {
  if (input.maintenance) return [];
  const up = new Set(input.services.filter((s) => s.vip !== undefined && s.quorumMet && !s.disabled).map((s) => s.vip as string));
  return input.vips.filter((v) => up.has(v)).sort();
}

export interface RouteChanges {
  add: string[];
  remove: string[];
}

/** What turns the routes `present` in the table into `desired`; leftovers of a crashed run included. */
export function routeChanges(desired: readonly string[], present: readonly string[]): RouteChanges {
  const want = new Set(desired);
  const have = new Set(present);
  return { add: desired.filter((v) => !have.has(v)), remove: present.filter((v) => !want.has(v)) };
}
