// The announcement policy: a VIP is announced while at least one of its services is up (quorum
// met, not disabled) and the node is not in maintenance; the route changes withdraw leftovers.
import { describe, expect, it } from 'vitest';
import { announcedVips, routeChanges } from '../../../src/bgp/policy.js';

const up = (vip: string) => ({ vip, quorumMet: true, disabled: false });

describe('BGP announcement policy', () => {
  const vips = ['198.18.0.100', '198.18.0.101', '2001:2::100'];

  it('announces a VIP while any of its services is up', () => {
    expect(announcedVips({ vips, maintenance: false, services: [up('198.18.0.100'), { vip: '198.18.0.100', quorumMet: false, disabled: false }, up('2001:2::100')] })).toEqual(['198.18.0.100', '2001:2::100']);
  });

  it('withdraws a VIP whose services all lost quorum or were disabled', () => {
    expect(announcedVips({ vips, maintenance: false, services: [{ vip: '198.18.0.100', quorumMet: false, disabled: false }, { vip: '198.18.0.101', quorumMet: true, disabled: true }] })).toEqual([]);
  });

  it('announces only the configured VIPs, and nothing in maintenance', () => {
    expect(announcedVips({ vips: ['198.18.0.101'], maintenance: false, services: [up('198.18.0.100'), up('198.18.0.101')] })).toEqual(['198.18.0.101']);
    expect(announcedVips({ vips, maintenance: true, services: [up('198.18.0.100')] })).toEqual([]);
  });

  it('route changes: add what is missing, remove what is not wanted (leftovers of a crash too)', () => {
    expect(routeChanges(['198.18.0.100', '198.18.0.101'], ['198.18.0.101', '198.18.0.199'])).toEqual({ add: ['198.18.0.100'], remove: ['198.18.0.199'] });
    expect(routeChanges([], ['198.18.0.1'])).toEqual({ add: [], remove: ['198.18.0.1'] });
  });
});
