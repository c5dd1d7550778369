// The operator's runtime changes on this node: one ledger (src/peer/ledger.ts) of override and
// real-server records, fed by this node's CLI and by the peer; saved to overrides.json after
// every change (a change the CLI saw acknowledged is on disk), and shared with the other node
// over the peer protocol when the config has a `peer:` section. What the records mean for IPVS
// (overrides in force, real servers added or removed) the daemon works out from all() after each
// change (the `changed` callback), so every source of a change takes the same path.
import type { Config, PeerConfig } from '../config/types.js';
import { Ledger } from '../peer/ledger.js';
import { PeerLink, type PeerLinkStatus } from '../peer/link.js';
import type { ChangeRecord } from '../peer/types.js';
import type { Logger } from './log.js';
import { overrideStateWriter } from './override-state.js';
import { caughtUp } from './runtime-servers.js';

/** `lvsd status`: the peer protocol on this node. */
export interface PeerSyncReport extends PeerLinkStatus {
  /** Runtime changes held (tombstones of cleared ones included). */
  records: number;
}

export interface RuntimeChangesOptions {
  node: string;
  stateDir: () => string;
  log: Logger;
  /** The records changed (from here or from the peer): the daemon applies all() to IPVS. */
  changed: (from: 'cli' | 'peer') => Promise<void>;
  now?: () => number;
}

export class RuntimeChanges {
  private readonly ledger: Ledger;
  private readonly writer;
  private link: PeerLink | undefined;
  private linkConfig = '';
  private readonly now: () => number;

  constructor(
    private readonly o: RuntimeChangesOptions,
    restored: readonly ChangeRecord[],
  ) {
    this.ledger = new Ledger(restored);
    this.writer = overrideStateWriter(o.stateDir);
    this.now = o.now ?? Date.now;
  }

  all(): ChangeRecord[] {
    return this.ledger.all();
  }

  active(): ChangeRecord[] {
    return this.ledger.active();
  }

  get(key: Pick<ChangeRecord, 'kind' | 'service' | 'realServer'>): ChangeRecord | undefined {
    return this.ledger.get(key);
  }

  /**
   * This node's operator changed something: recorded, saved, sent to the peer, then applied.
   * Settles when saved and applied.
   */
  async set(changes: readonly Omit<ChangeRecord, 'at' | 'node'>[], why?: string): Promise<ChangeRecord[]> {
    const records = changes.map((c) => this.ledger.stamp(c, this.o.node, this.now()));
    for (const r of records) this.ledger.apply(r);
    if (why) for (const r of records) this.o.log.info({ service: r.service, realServer: r.realServer, kind: r.kind }, why);
    await this.save();
    this.link?.send(records);
    await this.o.changed('cli');
    return records;
  }

  /** Clears the real-server changes `file` now agrees with, with a log line each. */
  async clearCaughtUp(file: Config): Promise<void> {
    const caught = caughtUp(file, this.active());
    if (caught.length === 0) return;
    await this.set(
      caught.map((r) => ({ kind: r.kind, service: r.service, ...(r.realServer !== undefined ? { realServer: r.realServer } : {}), value: 'clear' as const })),
      'the config file now agrees with this runtime real-server change (lvsd add-server / remove-server): the record is dropped',
    );
  }

  /** Records from the peer: those that win are kept, saved and applied; returns how many won. */
  private receive(records: readonly ChangeRecord[], from: string): number {
    const won = records.filter((r) => this.ledger.apply(r));
    if (won.length === 0) return 0;
    for (const r of won) this.o.log.info({ service: r.service, realServer: r.realServer, kind: r.kind, value: r.value, node: r.node, from }, `peer ${from}: ${r.kind} ${r.service}${r.realServer ? ` ${r.realServer}` : ''} ${r.value}`);
    void this.save().then(() => this.o.changed('peer')).catch((err: unknown) => this.o.log.error({ err }, 'applying the changes from the peer'));
    return won.length;
  }

  private async save(): Promise<void> {
    try {
      await this.writer.save(this.ledger.all());
    } catch (err) {
      this.o.log.error({ err, dir: this.o.stateDir() }, 'cannot save the runtime changes; they hold until lvsd restarts');
    }
  }

  /** Starts, restarts (changed settings) or stops the peer protocol for this config. */
  async configurePeer(peer: PeerConfig | undefined): Promise<void> {
    const key = JSON.stringify(peer ?? null);
    if (key === this.linkConfig) return;
    await this.link?.stop();
    this.link = undefined;
    this.linkConfig = key;
    if (!peer || peer.listen === undefined) return;
    this.link = await PeerLink.start({
      node: this.o.node,
      listen: { address: peer.listen, port: peer.port },
      peers: (peer.peers ?? []).map((address) => ({ address, port: peer.port })),
      secret: peer.secret,
      windowMs: peer.replay_window,
      log: this.o.log,
      snapshot: () => this.ledger.all(),
      receive: (records, from) => this.receive(records, from),
      now: this.now,
    });
    this.o.log.info({ listen: peer.listen, port: peer.port, peers: peer.peers }, 'peer protocol listening');
  }

  peerStatus(): PeerSyncReport | undefined {
    return this.link ? { ...this.link.status(), records: this.ledger.all().length } : undefined;
  }

  async stop(): Promise<void> {
    await this.link?.stop();
    this.link = undefined;
  }
}
