// Rules for the peer protocol (schema-peer.ts): where it listens and whom it talks to. The
// addresses are checked here rather than in the schema because in a file with nodes: they come
// from the nodes' unicast_source, merged before the schema runs.
import { parseIp, specialAddressKind } from '../../net/address.js';
import type { Rule } from './context.js';

const peerAddresses: Rule = (ctx) => {
  const peer = ctx.config.peer;
  if (!peer) return;
  if (peer.listen === undefined) {
    ctx.error(['peer'], "no listen address, expected peer.listen (this node's address on the sync interface) or, in a file with nodes:, the node's unicast_source");
  } else if (specialAddressKind(peer.listen) !== undefined && specialAddressKind(peer.listen) !== 'loopback') {
    ctx.error(['peer', 'listen'], `${peer.listen} is ${specialAddressKind(peer.listen)}, expected this node's own address on the sync interface (the peer protocol listens on that address only)`);
  }
  if (peer.peers === undefined || peer.peers.length === 0) {
    ctx.error(['peer'], "no peers, expected peer.peers (the other node's address) or, in a file with nodes:, the other nodes' unicast_source");
    return;
  }
  const family = peer.listen === undefined ? undefined : parseIp(peer.listen)?.family;
  peer.peers.forEach((address, i) => {
    if (address === peer.listen) ctx.error(['peer', 'peers', i], `${address} is this node's own peer.listen, expected the other node's address`);
    else if (family !== undefined && parseIp(address)?.family !== family) ctx.error(['peer', 'peers', i], `${address} is not of the family of peer.listen ${peer.listen}, expected an IPv${family} address (connections go out from peer.listen)`);
  });
};

export const peerRules: readonly Rule[] = [peerAddresses];
