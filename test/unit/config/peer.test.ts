// The peer: section (schema-peer.ts, rules/peer.ts): in a file with nodes:, the peer protocol's
// addresses come from the nodes' unicast_source like VRRP's; bad settings are located in the file.
import { describe, expect, it } from 'vitest';
import { formatIssue, parseConfigText, parseConfigViews, type NodeChoice } from '../../../src/config/load.js';

const option = (name: string): NodeChoice => ({ by: 'option', name });

const PAIR = `vrrp:
  instances:
    - { name: web, interface: eth0, vrid: 51, vips: [198.18.0.100/24] }
peer:
  secret: "0123456789abcdef0123"
nodes:
  lb1:
    unicast_source: 198.18.0.1
  lb2:
    unicast_source: 198.18.0.2
`;

function problems(text: string, choice: NodeChoice = { by: 'all' }): string[] {
  const result = parseConfigViews(text, 'p.yaml', choice);
  return [...(result.ok ? [] : result.errors.map(formatIssue)), ...result.warnings.map((w) => `warning ${formatIssue(w)}`)];
}

describe('peer: section', () => {
  it("takes listen and peers from the nodes' unicast_source, port and replay window by default", () => {
    for (const [node, self, other] of [['lb1', '198.18.0.1', '198.18.0.2'], ['lb2', '198.18.0.2', '198.18.0.1']] as const) {
      const result = parseConfigText(PAIR, 'p.yaml', option(node));
      if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
      expect(result.config.peer).toEqual({ secret: '0123456789abcdef0123', listen: self, peers: [other], port: 9811, replay_window: 30_000 });
    }
  });

  it('a node entry may set its own peer addresses (e.g. a separate sync link)', () => {
    const text = `${PAIR}    peer: { listen: 198.18.2.2, peers: [198.18.2.1] }\n`;
    const result = parseConfigText(text, 'p.yaml', option('lb2'));
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    expect(result.config.peer).toMatchObject({ listen: '198.18.2.2', peers: ['198.18.2.1'] });
  });

  it('a one-node file names both addresses; missing or wrong ones are located errors', () => {
    const one = (peer: string): string => `node: { name: lb1 }\npeer: ${peer}\n`;
    expect(problems(one('{ secret: "0123456789abcdef0123", listen: 198.18.0.1, peers: [198.18.0.2] }'))).toEqual([]);
    expect(problems(one('{ secret: "0123456789abcdef0123" }'))).toEqual([
      "p.yaml:2:7: peer: no listen address, expected peer.listen (this node's address on the sync interface) or, in a file with nodes:, the node's unicast_source",
      "p.yaml:2:7: peer: no peers, expected peer.peers (the other node's address) or, in a file with nodes:, the other nodes' unicast_source",
    ]);
    expect(problems(one('{ secret: short, listen: 198.18.0.1, peers: [198.18.0.2] }'))).toEqual(['p.yaml:2:17: peer.secret: \"short\" is not valid, expected 16-256 printable ASCII characters']);
    expect(problems(one('{ secret: "0123456789abcdef0123", listen: 0.0.0.0, peers: [198.18.0.1, "2001:2::2"] }'))).toEqual([
      "p.yaml:2:49: peer.listen: 0.0.0.0 is unspecified, expected this node's own address on the sync interface (the peer protocol listens on that address only)",
      'p.yaml:2:78: peer.peers[1]: 2001:2::2 is not of the family of peer.listen 0.0.0.0, expected an IPv4 address (connections go out from peer.listen)',
    ]);
    expect(problems(one('{ secret: "0123456789abcdef0123", listen: 198.18.0.1, peers: [198.18.0.1, "2001:2::2"] }'))).toEqual([
      "p.yaml:2:69: peer.peers[0]: 198.18.0.1 is this node's own peer.listen, expected the other node's address",
      'p.yaml:2:81: peer.peers[1]: 2001:2::2 is not of the family of peer.listen 198.18.0.1, expected an IPv4 address (connections go out from peer.listen)',
    ]);
  });

  it('in a file with nodes:, a problem in an address from a node entry points at that entry', () => {
    const text = PAIR.replace('unicast_source: 198.18.0.2', 'unicast_source: "2001:2::2"');
    expect(problems(text, option('lb1'))).toEqual([
      'node lb1: p.yaml:10:21: nodes.lb2.unicast_source: 2001:2::2 is not of the family of peer.listen 198.18.0.1, expected an IPv4 address (connections go out from peer.listen)',
      'warning node lb1: p.yaml:8:21: nodes.lb1.unicast_source: unicast_source has no effect without unicast_peers, adverts go to the multicast group',
    ]);
  });
});
