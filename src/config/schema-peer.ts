// The `peer:` section: the control protocol between the two nodes of a pair (src/peer), over
// which each node tells the other the operator's runtime changes (`lvsd drain / disable / enable`,
// `lvsd add-server / remove-server`), so a failover does not undo them. Kept apart from schema.ts
// so that section stays one import and one key there; rules/peer.ts relates the fields.
//
// In a file with nodes:, `listen` defaults to the node's unicast_source and `peers` to the other
// nodes' (nodes.ts): the pair names its addresses once, for VRRP and this alike.
import * as z from 'zod';
import { EXPECTED, duration, ipAddress, list, mapping, port } from './primitives.js';

/** Printable ASCII, so the secret survives any editor and YAML quoting; 16 bytes at least (RFC 2104 sec. 3: no shorter than the hash's 32 is better). */
const SECRET_ERROR = `${EXPECTED}16-256 printable ASCII characters`;

export const PEER_DEFAULT_PORT = 9811;
const REPLAY_WINDOW_MAX = 10 * 60_000;

export const peerSchema = mapping(
  {
    secret: z
      .string({ error: SECRET_ERROR })
      .regex(/^[\x20-\x7e]{16,256}$/, { error: SECRET_ERROR })
      .describe('shared secret of the pair: every message carries an HMAC-SHA256 under it; the same on both nodes, at least 16 characters (32 random ones are best)'),
    listen: ipAddress("this node's address for the peer protocol, on the sync interface (only the peers may connect); default in a file with nodes: the node's unicast_source").optional(),
    port: port().default(PEER_DEFAULT_PORT).describe('TCP port of the peer protocol, the same on both nodes'),
    peers: list(ipAddress('address of another node'), "the other nodes' peer.listen addresses; default in a file with nodes: the other nodes' unicast_source").optional(),
    replay_window: duration('a message whose timestamp is further than this from our clock is refused (replay protection; the clocks of the pair must agree this well)', REPLAY_WINDOW_MAX).prefault('30s'),
  },
  "share the operator's runtime changes (drain, disable, enable, add-server, remove-server) with the other node, so they survive a failover",
);
