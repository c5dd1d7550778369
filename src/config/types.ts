// The typed config every other subsystem consumes, derived from the zod schema so the two can
// never disagree. Durations are milliseconds, addresses canonical, defaults filled in.
import type * as z from 'zod';
import type { agentSchema, checkSchema, checksSchema, configSchema } from './schema.js';

export type { Duration } from './duration.js';

export type Config = z.output<typeof configSchema>;
export type NodeConfig = Config['node'];
export type IpvsConfig = Config['ipvs'];
export type VrrpConfig = Config['vrrp'];
export type VrrpInstanceConfig = VrrpConfig['instances'][number];
/** `{ address, prefix, dev?, label? }`, however it was written. */
export type VipConfig = VrrpInstanceConfig['vips'][number];
export type TrackConfig = VrrpInstanceConfig['track'];
export type NotifyConfig = VrrpInstanceConfig['notify'];
export type SyncGroupConfig = VrrpConfig['sync_groups'][number];
/** Either `vip`/`port`/`protocol` or `fwmark` is set; `family` always is. */
export type ServiceConfig = Config['services'][number];
/** `port` and `forwarding` are resolved against the service. */
export type RealServerConfig = ServiceConfig['real_servers'][number];
export type SorryServerConfig = NonNullable<ServiceConfig['sorry_server']>;
/** One check, discriminated on `type`. */
export type CheckConfig = z.output<typeof checkSchema>;
export type CheckType = CheckConfig['type'];
/** `check:` as written: one check or a list that must all pass (listChecks() makes it a list). */
export type ChecksConfig = z.output<typeof checksSchema>;
/** One URL of an http/https check as loaded (httpUrls() gives them for either form). */
export type HttpUrlConfig = NonNullable<Extract<CheckConfig, { type: 'http' }>['urls']>[number];
/** The agent check beside the health check (HAProxy's agent-check protocol). */
export type AgentConfig = z.output<typeof agentSchema>;
export type ForwardingMethod = ServiceConfig['forwarding'];
export type Scheduler = ServiceConfig['scheduler'];
export type BgpConfig = NonNullable<Config['bgp']>;
export type PeerConfig = NonNullable<Config['peer']>;
export type BgpPeerConfig = BgpConfig['peers'][number];
