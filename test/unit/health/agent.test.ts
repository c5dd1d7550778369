// The agent check's reply language (HAProxy agent-check) and how replies fold into what the
// agent asks for: words replace their part, absent words leave it, an unreachable agent changes
// nothing; and what that means for the destination's weight.
import { describe, expect, it } from 'vitest';
import { agentUnreachable, agentWeight, applyAgentReply, initialAgentState, parseAgentReply } from '../../../src/health/agent.js';
import { effectiveDestinations, type EffectService, type OperatorOverride, type RealServerHealth } from '../../../src/health/effect.js';

describe('parseAgentReply', () => {
  it('reads each word in any order, separated by spaces, tabs or commas, case-insensitively', () => {
    expect(parseAgentReply('up 75%')).toEqual({ up: true, percent: 75 });
    expect(parseAgentReply('DRAIN,\t50%')).toEqual({ admin: 'drain', percent: 50 });
    expect(parseAgentReply('maint')).toEqual({ admin: 'maint' });
    expect(parseAgentReply('ready up')).toEqual({ admin: 'ready', up: true });
    for (const down of ['down', 'fail', 'stopped']) expect(parseAgentReply(down)).toEqual({ up: false });
  });

  it('keeps the text after "#" and names the words it ignores', () => {
    expect(parseAgentReply('down#disk full')).toEqual({ up: false, note: 'disk full' });
    expect(parseAgentReply('maxconn:30 80% hello')).toEqual({ percent: 80, note: 'ignored maxconn:30 hello' });
  });

  it('caps a percentage so a typo cannot take all the traffic, and says nothing for an empty line', () => {
    expect(parseAgentReply('9999999%').percent).toBe(1000);
    expect(parseAgentReply('')).toEqual({});
    expect(parseAgentReply('-5%')).toEqual({ note: 'ignored -5%' });
  });
});

describe('agent state', () => {
  it('replaces only the parts a reply mentions', () => {
    const drained = applyAgentReply(initialAgentState, parseAgentReply('drain'));
    expect(drained).toMatchObject({ admin: 'drain', up: true, percent: 100, reason: 'drain' });
    const half = applyAgentReply(drained, parseAgentReply('50%'));
    expect(half).toMatchObject({ admin: 'drain', percent: 50, reason: 'drain 50%' });
    expect(applyAgentReply(half, parseAgentReply('ready 100%'))).toMatchObject({ admin: 'ready', percent: 100, reason: 'ready' });
    expect(applyAgentReply(half, parseAgentReply('down#backup running'))).toMatchObject({ up: false, reason: 'down 50%: backup running' });
  });

  it('an agent that cannot be reached leaves the state as it was', () => {
    const drained = applyAgentReply(initialAgentState, parseAgentReply('drain'));
    const after = agentUnreachable(drained, 'refused');
    expect(after).toMatchObject({ admin: 'drain', up: true, percent: 100 });
    expect(after.reason).toMatch(/unreachable \(refused\)/);
  });

  it('scales the weight and stays within 0-65535', () => {
    expect(agentWeight(100, 50)).toBe(50);
    expect(agentWeight(3, 50)).toBe(2);
    expect(agentWeight(60000, 1000)).toBe(65535);
    expect(agentWeight(100, 0)).toBe(0);
  });
});

describe('what the agent means for IPVS', () => {
  const service: EffectService = {
    realServers: ['198.18.1.11', '198.18.1.12'].map((address) => ({ destination: { address, port: 80, weight: 100 }, checked: true })),
    onFailure: 'remove',
    quorum: 0,
    quorumHysteresis: 0,
  };
  const withAgent = (reply: string): RealServerHealth => ({ up: true, agent: applyAgentReply(initialAgentState, parseAgentReply(reply)) });
  const first = (h: RealServerHealth, overrides = new Map<string, OperatorOverride>()) =>
    effectiveDestinations(service, new Map([['198.18.1.11:80', h], ['198.18.1.12:80', { up: true }]]), overrides).destinations.find((d) => d.address === '198.18.1.11');

  it('50% halves the weight, drain keeps it at 0, maint and down take it out', () => {
    expect(first(withAgent('50%'))).toMatchObject({ weight: 50 });
    expect(first(withAgent('drain'))).toMatchObject({ weight: 0 });
    expect(first(withAgent('maint'))).toBeUndefined();
    expect(first(withAgent('down'))).toBeUndefined();
    expect(first(withAgent('up ready'))).toMatchObject({ weight: 100 });
  });

  it('a failed health check wins over an agent that says up, and the operator wins over the agent', () => {
    expect(first({ up: false, agent: withAgent('up').agent })).toBeUndefined();
    expect(first(withAgent('maint'), new Map([['198.18.1.11:80', 'enable']]))).toMatchObject({ weight: 100 });
  });
});
