// Types for bgp-plan.mjs.
import type { LabService } from './plan.mjs';

export const PREFIX: number;
export const CLIENT: { name: string; address: string };
export const ROUTER: { name: string; client: string; director: string; as: number };
export const RESILIENT_ECMP: { birdTable: number; group: number; buckets: number };
export const DIRECTOR_AS: number;
export interface BgpLabDirector {
  name: string;
  address: string;
  metrics: string;
  nexthop: number;
}
export const DIRECTORS: BgpLabDirector[];
export const FIRST_DIRECTORS: string[];
export const REAL_SERVERS: Array<{ name: string; address: string }>;
export const SERVICE: LabService;
export const VIP_TABLE: number;
export const BFD: { intervalMs: number; multiplier: number };
export const HOLD_TIME_S: number;
export const ERROR_WAIT_S: { min: number; max: number };
