// The kernel settings that let any director carry any flow: after ECMP moves a flow (a director
// added, lost or withdrawn), the new director sees packets of a connection it never saw start.
// IPVS ignores those unless sloppy_tcp / sloppy_sctp are set (it then schedules the flow on any
// packet, not only SYN / INIT: Documentation/networking/ipvs-sysctl.rst), and with the `mh`
// scheduler it picks the same real server the old director did. If netfilter conntrack is
// loaded, nf_conntrack_tcp_loose must stay 1 so conntrack does not mark such packets INVALID.
//
// Pure: the wanted values, and the verdict from what was read back; the daemon writes them
// through src/kernel/sysctl.ts and `lvsd status` shows the verdict.

export interface SysctlWant {
  /** Slash form relative to /proc/sys (src/kernel/sysctl.ts). */
  key: string;
  value: string;
  /** Absent keys (the module is not loaded) are not an error for these. */
  optional: boolean;
  why: string;
}

export const TAKEOVER_SYSCTLS: readonly SysctlWant[] = [
  { key: 'net/ipv4/vs/sloppy_tcp', value: '1', optional: false, why: 'schedule TCP flows on any packet, not only SYN, so a director takes over flows another one started' },
  { key: 'net/ipv4/vs/sloppy_sctp', value: '1', optional: false, why: 'the same for SCTP (any chunk, not only INIT)' },
  { key: 'net/netfilter/nf_conntrack_tcp_loose', value: '1', optional: true, why: 'conntrack (when loaded) accepts mid-stream TCP packets instead of marking them INVALID' },
];

export interface SysctlCheck {
  key: string;
  want: string;
  /** What the kernel holds after lvsd set it; null when the key does not exist. */
  have: string | null;
  ok: boolean;
  /** Why it is not ok (a write error, a missing module), null when ok. */
  problem: string | null;
}

/** The verdict on one key from the value read back (undefined: no such key) and the write error, if any. */
export function checkSysctl(want: SysctlWant, have: string | undefined, writeError?: string): SysctlCheck {
  const base = { key: want.key, want: want.value, have: have ?? null };
  if (have === undefined) {
    return want.optional ? { ...base, ok: true, problem: null } : { ...base, ok: false, problem: writeError ?? 'no such key (is the ip_vs module loaded?)' };
  }
  if (have === want.value) return { ...base, ok: true, problem: null };
  return { ...base, ok: false, problem: writeError ?? `the kernel holds ${have}` };
}
