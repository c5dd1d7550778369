// The record of what `setup` changed, kept in a state file (default /run/lvsd/realserver.json) so
// `teardown` can restore exactly that: each sysctl to the value it had before the first setup,
// and only the addresses, links and modules setup itself added.
import { z } from 'zod';
import type { Step } from './plan.js';

export { DEFAULT_STATE_FILE } from './constants.js';

const changeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('module'), module: z.string(), device: z.string() }),
  z.object({ kind: z.literal('link-up'), ifname: z.string() }),
  z.object({
    kind: z.literal('address'),
    ifname: z.string(),
    family: z.union([z.literal(4), z.literal(6)]),
    address: z.string(),
    prefix: z.number().int(),
  }),
  z.object({ kind: z.literal('sysctl'), key: z.string(), previous: z.string(), applied: z.string() }),
]);

const recordSchema = z.object({
  version: z.literal(1),
  /** In the order applied; teardown undoes them in reverse. */
  changes: z.array(changeSchema),
});

export type Change = z.infer<typeof changeSchema>;
export type RealServerRecord = z.infer<typeof recordSchema>;

export function emptyRecord(): RealServerRecord {
  return { version: 1, changes: [] };
}

/** Parses a state file's text; throws a sentence naming the file when it is not ours or is damaged. */
export function parseRecord(text: string, file: string): RealServerRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON (${(err as Error).message}); move it away to start over`);
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file} is not an lvsd real-server state file: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/**
 * Adds an applied setup step to the record. A sysctl set again keeps the value from before the
 * FIRST setup, so a second setup (or one with more VIPs) never loses the original.
 */
export function recordStep(record: RealServerRecord, step: Step): RealServerRecord {
  const changes = [...record.changes];
  switch (step.kind) {
    case 'load-module':
      changes.push({ kind: 'module', module: step.module, device: step.device });
      break;
    case 'set-link':
      if (step.up) changes.push({ kind: 'link-up', ifname: step.ifname });
      break;
    case 'add-address':
      changes.push({ kind: 'address', ifname: step.ifname, family: step.family, address: step.address, prefix: step.prefix });
      break;
    case 'set-sysctl': {
      const i = changes.findIndex((c) => c.kind === 'sysctl' && c.key === step.key);
      const earlier = changes[i];
      if (earlier?.kind === 'sysctl') changes[i] = { ...earlier, applied: step.to };
      else if (step.from !== undefined) changes.push({ kind: 'sysctl', key: step.key, previous: step.from, applied: step.to });
      break;
    }
    case 'remove-address':
      break;
  }
  return { ...record, changes };
}

/** Drops the change a teardown step undid, so a teardown interrupted halfway can be resumed. */
export function forgetChange(record: RealServerRecord, change: Change): RealServerRecord {
  return { ...record, changes: record.changes.filter((c) => c !== change) };
}

export function recordedSysctlKeys(record: RealServerRecord): string[] {
  return record.changes.flatMap((c) => (c.kind === 'sysctl' ? [c.key] : []));
}
