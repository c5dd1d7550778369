import { describe, expect, it } from 'vitest';
import { settingsProblems } from '../../../src/vrrp/settings.js';
import { settings } from './harness.js';

describe('settingsProblems', () => {
  it('accepts sane settings', () => {
    expect(settingsProblems(settings())).toEqual([]);
    expect(settingsProblems(settings({ version: 2, advertIntervalMs: 3000 }))).toEqual([]);
    expect(settingsProblems(settings({ advertIntervalMs: 40_950 }))).toEqual([]);
  });

  it.each([
    [{ vrid: 0 }, 'vrid 0 is outside 1-255'],
    [{ priority: 0 }, 'priority 0 is outside 1-255'],
    [{ version: 2 as const, family: 6 as const, vips: [{ address: '2001:2::1', prefix: 64 }] }, 'VRRPv2 is IPv4 only'],
    [{ version: 2 as const, advertIntervalMs: 1500 }, 'whole seconds'],
    [{ advertIntervalMs: 15 }, 'multiple of 10ms'],
    [{ advertIntervalMs: 41_000 }, 'multiple of 10ms'],
    [{ vips: [] }, 'needs 1-255 vips'],
    [{ vips: [{ address: '2001:2::1', prefix: 64 }] }, 'are not IPv4'],
    [{ preemptDelayMs: -1 }, 'preempt_delay cannot be negative'],
    [{ family: 6 as const, primaryAddress: '2001:2::2', vips: [{ address: '2001:2::1', prefix: 64 }] }, 'link-local'],
  ])('%j', (overrides, problem) => {
    expect(settingsProblems(settings(overrides)).join('; ')).toContain(problem);
  });
});
