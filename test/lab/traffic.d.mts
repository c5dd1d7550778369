// Types for traffic.mjs.
import type { LabService } from './plan.mjs';

export interface BurstResult {
  hits: Record<string, number>;
  failed: number;
  errors: string[];
  ms: number;
}
export interface StreamRecord {
  /** When the request started (epoch ms). */
  t: number;
  ok: boolean;
  by: string | null;
  ms: number;
}
export interface StreamAnalysis {
  total: number;
  failed: number;
  gapMs: number;
  inGap: number;
  lastBefore: StreamRecord | undefined;
  firstAfter: StreamRecord | undefined;
  /** Median and largest interval between two requests' starts, ms: the gap's resolution. */
  spacingMs: { median: number; max: number };
}
export interface Share {
  rs: string;
  weight: number;
  hits: number;
  expected: number;
  share: number;
  weightShare: number;
}
export interface CapturedFrame {
  /** Capture time, epoch ms. */
  t: number;
  srcMac: string;
  dstMac: string;
  summary: string;
}
export interface PooledConnection {
  localPort: number;
  /** The real server that answered the first request. */
  by: string;
  /** Every real server that answered (one, while the connection kept its server). */
  servers: string[];
  served: number;
  /** The first failure, which ends the connection's requests; null while it works. */
  error: string | null;
  errorAt: number | null;
}
export class ClientDriver {
  burst(service: LabService, n: number, opts?: { concurrency?: number; timeoutMs?: number }): Promise<BurstResult>;
  streamStart(service: LabService, opts?: { intervalMs?: number; timeoutMs?: number }): Promise<unknown>;
  streamStop(): Promise<StreamRecord[]>;
  connOpen(service: LabService): Promise<{ by: string; localPort: number }>;
  connRequest(): Promise<{ by?: string; error?: string }>;
  poolOpen(service: LabService, n: number, opts?: { timeoutMs?: number }): Promise<Array<{ localPort: number; by: string }>>;
  poolStart(opts?: { intervalMs?: number; timeoutMs?: number }): Promise<unknown>;
  poolStop(): Promise<PooledConnection[]>;
  poolClose(): Promise<unknown>;
  close(): Promise<void>;
}
export function analyseStream(records: StreamRecord[]): StreamAnalysis;
export function shares(hits: Record<string, number>, weights: Record<string, number>): Share[];
export function startCapture(ns: unknown, ifname: string, filter: string): Promise<{ stop(): Promise<CapturedFrame[]> }>;
export function countBySender(frames: CapturedFrame[], macs: Record<string, string>): Record<string, number>;
export const ANNOUNCEMENTS_FILTER: string;
export function announcements(frames: CapturedFrame[], macs: Record<string, string>): Record<string, { firstAdvert: number | undefined; lastAdvert: number | undefined; firstGarp: number | undefined }>;
