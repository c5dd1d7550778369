// Types for plan.mjs (the lab is plain JavaScript so the demo runs without a build step).
export type Mode = 'dr' | 'tun' | 'nat';
export interface LabService {
  name: string;
  mode: Mode;
  vip: string;
  port: number;
  rsPort: number;
  weights: Record<string, number>;
}
export interface LabLoadBalancer {
  name: string;
  outer: string;
  inner: string;
  priority: number;
  metrics: string;
}
export interface LabRealServer {
  name: string;
  outer: string;
  inner: string;
}
export const PREFIX: number;
export const CLIENT: { name: string; outer: string };
export const LOAD_BALANCERS: LabLoadBalancer[];
export const REAL_SERVERS: LabRealServer[];
export const GATEWAY_VIP: string;
export const NAT_REPLY_TABLE: string;
export const VRRP: { outer: { instance: string; vrid: number }; inner: { instance: string; vrid: number }; syncGroup: string; advertIntervalMs: number };
export const SERVICES: LabService[];
export const LISTENER_PORTS: number[];
export const IPVS_SYNC_ID: number;
export function realServerAddress(rs: LabRealServer, service: LabService): string;
