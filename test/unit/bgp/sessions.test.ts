// Reading BIRD's `show protocols`: lvsd's BGP protocols by peer, Established or not; a peer BIRD
// does not know is reported, not skipped. The text is BIRD 2.0.12's own output.
import { describe, expect, it } from 'vitest';
import { parseShowProtocols } from '../../../src/bgp/sessions.js';

const OUTPUT = `BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
lvsd_device Device    ---        up     01:42:31.092  
lvsd_kernel4 Kernel lvsd_vips4   up     01:42:31.092  
lvsd_bfd   BFD        ---        up     01:42:31.092  
lvsd_peer_r1 BGP        ---        up     01:42:35.269  Established   
lvsd_peer_r2 BGP        ---        start  01:42:44.293  Idle          Error: BFD session down
other      BGP        ---        up     01:42:35.269  Established   
`;

describe('birdc show protocols', () => {
  it('reports each configured peer', () => {
    expect(parseShowProtocols(OUTPUT, ['r1', 'r2', 'r3'])).toEqual([
      { peer: 'r1', state: 'up', since: '01:42:35.269', info: 'Established', established: true },
      { peer: 'r2', state: 'start', since: '01:42:44.293', info: 'Idle  Error: BFD session down', established: false },
      { peer: 'r3', state: 'absent', since: '', info: 'BIRD has no such protocol: load the configuration from lvsd bgp-config', established: false },
    ]);
  });
});
