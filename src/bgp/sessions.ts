// lvsd's BGP sessions as BIRD sees them: `birdc -r -s <socket> show protocols`, run through
// src/exec (its own process group, killed at the timeout, output bounded), so a hung or absent
// BIRD costs a status call at most SESSIONS_TIMEOUT_MS and never blocks the daemon. Concurrent
// callers (a status and a metrics scrape) share one run, and a result is reused for CACHE_MS.
import { runCommand } from '../exec/run.js';
import { birdPeerProtocol } from './bird-config.js';
import type { BgpSession } from './types.js';

export const SESSIONS_TIMEOUT_MS = 2_000;
const CACHE_MS = 1_000;
/** A few hundred bytes per protocol; far more than a director's handful of sessions need. */
const MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * The rows of `show protocols` (header "Name Proto Table State Since Info") for the given
 * peers, in their order; a peer BIRD does not know (an old BIRD config) shows as state "absent".
 */
export function parseShowProtocols(text: string, peers: readonly string[]): BgpSession[] {
  const rows = new Map<string, { state: string; since: string; info: string }>();
  for (const line of text.split('\n')) {
    // Name Proto Table State Since Info...; Since is one token in BIRD's default time format.
    const m = /^(\S+)\s+BGP\s+\S+\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line.trimEnd());
    if (m) rows.set(m[1] as string, { state: m[2] as string, since: m[3] as string, info: (m[4] as string).replace(/\s{2,}/g, '  ') });
  }
  return peers.map((peer) => {
    const row = rows.get(birdPeerProtocol(peer));
    if (!row) return { peer, state: 'absent', since: '', info: 'BIRD has no such protocol: load the configuration from lvsd bgp-config', established: false };
    return { peer, ...row, established: row.state === 'up' && row.info.startsWith('Established') };
  });
}

export type SessionsResult = { ok: true; sessions: BgpSession[] } | { ok: false; error: string };

export class BirdSessions {
  private inFlight: Promise<SessionsResult> | undefined;
  private last: { at: number; result: SessionsResult } | undefined;

  constructor(
    private socket: string,
    private peers: readonly string[],
  ) {}

  /** A reload may rename peers or move the socket. */
  reconfigure(socket: string, peers: readonly string[]): void {
    this.socket = socket;
    this.peers = peers;
    this.last = undefined;
  }

  read(): Promise<SessionsResult> {
    if (this.last && performance.now() - this.last.at < CACHE_MS) return Promise.resolve(this.last.result);
    this.inFlight ??= this.run().then((result) => {
      this.last = { at: performance.now(), result };
      this.inFlight = undefined;
      return result;
    });
    return this.inFlight;
  }

  private async run(): Promise<SessionsResult> {
    const outcome = await runCommand(
      { argv: ['birdc', '-r', '-s', this.socket, 'show', 'protocols'] },
      { timeoutMs: SESSIONS_TIMEOUT_MS, output: { mode: 'capture' }, maxOutputBytes: MAX_OUTPUT_BYTES },
    );
    if (!outcome.ok) {
      const said = outcome.stdout.trim().split('\n').pop() ?? '';
      return { ok: false, error: `birdc -s ${this.socket}: ${outcome.detail}${said ? ` (${said})` : ''}` };
    }
    return { ok: true, sessions: parseShowProtocols(outcome.stdout, this.peers) };
  }
}
