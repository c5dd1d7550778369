// Types for stream.mjs.
import type { LabService } from './plan.mjs';
import type { LabNamespace } from './topology.mjs';
import type { StreamRecord } from './traffic.mjs';

export function startStream(
  ns: LabNamespace,
  service: LabService,
  opts?: { intervalMs?: number; timeoutMs?: number; maxRequests?: number },
): Promise<{ stop(): Promise<StreamRecord[]> }>;
