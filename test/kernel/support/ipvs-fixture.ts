// One IPVS table that uses every attribute lvsd writes, twice: as lvsd objects and as the
// `ipvsadm -R` rules an operator would write for the same thing. Kernel tests write one with lvsd
// and the other with ipvsadm, and check that both tools read back the same table.
import type { Destination, DesiredIpvs, DestinationEntry, KernelIpvs, Service, ServiceEntry, ServiceId, ServiceSettings } from '../../../src/ipvs/types.js';
import { serviceKey } from '../../../src/ipvs/names.js';
import { hostPort } from '../../../src/net/address.js';

const dest = (address: string, port: number, more: Partial<Destination> = {}): Destination => ({
  address, port, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...more,
});
const svc = (id: ServiceId, s: Partial<ServiceSettings> & Pick<ServiceSettings, 'scheduler'>): Service => ({
  ...id, schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32, ...s,
});

export const web = svc({ protocol: 'tcp', address: '198.18.0.100', port: 80 }, { scheduler: 'wrr', persistence: 300, persistencePrefix: 24 });
export const dns6 = svc({ protocol: 'udp', address: '2001:2::100', port: 53 }, { scheduler: 'mh', schedulerFlags: ['mh-fallback', 'mh-port'], onePacket: true, persistencePrefix: 128 });
export const mark4 = svc({ fwmark: 7, family: 4 }, { scheduler: 'sh', schedulerFlags: ['sh-fallback', 'sh-port'], persistence: 60 });
export const mark6 = svc({ fwmark: 8, family: 6 }, { scheduler: 'rr', persistence: 120, persistencePrefix: 64 });
export const sctp = svc({ protocol: 'sctp', address: '198.18.0.101', port: 9 }, { scheduler: 'lc' });

export const fixture: DesiredIpvs = {
  services: [
    {
      service: web,
      destinations: [
        dest('198.18.1.11', 80, { weight: 100, upperThreshold: 10, lowerThreshold: 5 }),
        dest('198.18.1.12', 8080, { forwarding: 'nat', weight: 50 }),
        dest('198.18.1.13', 80, { forwarding: 'tun', tunnel: { type: 'ipip', port: 0, checksum: 'none' } }),
        dest('198.18.1.14', 80, { forwarding: 'tun', weight: 2, tunnel: { type: 'gue', port: 6080, checksum: 'csum' } }),
        dest('198.18.1.15', 80, { forwarding: 'tun', tunnel: { type: 'gre', port: 0, checksum: 'csum' } }),
      ],
    },
    {
      service: dns6,
      destinations: [
        dest('2001:2::1:11', 53),
        // An IPv4 real server behind an IPv6 VIP: allowed for tunnel forwarding only.
        dest('198.18.1.20', 53, { forwarding: 'tun', weight: 3, tunnel: { type: 'ipip', port: 0, checksum: 'none' } }),
      ],
    },
    { service: mark4, destinations: [dest('198.18.1.30', 0)] },
    { service: mark6, destinations: [dest('2001:2::1:40', 0)] },
    { service: sctp, destinations: [dest('198.18.1.50', 9, { forwarding: 'nat', weight: 0 })] },
  ],
};

/** The same table as `ipvsadm -R` input. */
export const fixtureRules = `
-A -t 198.18.0.100:80 -s wrr -p 300 -M 255.255.255.0
-a -t 198.18.0.100:80 -r 198.18.1.11:80 -g -w 100 -x 10 -y 5
-a -t 198.18.0.100:80 -r 198.18.1.12:8080 -m -w 50
-a -t 198.18.0.100:80 -r 198.18.1.13:80 -i -w 1
-a -t 198.18.0.100:80 -r 198.18.1.14:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum
-a -t 198.18.0.100:80 -r 198.18.1.15:80 -i -w 1 --tun-type gre --tun-csum
-A -u [2001:2::100]:53 -s mh -b mh-fallback,mh-port -o
-a -u [2001:2::100]:53 -r [2001:2::1:11]:53 -g -w 1
-a -u [2001:2::100]:53 -r 198.18.1.20:53 -i -w 3
-A -f 7 -s sh -b sh-fallback,sh-port -p 60
-a -f 7 -r 198.18.1.30:0 -g -w 1
-A -f 8 -6 -s rr -p 120 -M 64
-a -f 8 -6 -r [2001:2::1:40]:0 -g -w 1
-A --sctp-service 198.18.0.101:9 -s lc
-a --sctp-service 198.18.0.101:9 -r 198.18.1.50:9 -m -w 0
`;

/** A kernel table without counters, in a stable order, to compare with a desired one. */
export function withoutCounters(k: KernelIpvs): DesiredIpvs {
  const service = ({ stats: _stats, ...rest }: ServiceEntry): Service => rest;
  const destination = ({ stats: _s, activeConns: _a, inactiveConns: _i, persistentConns: _p, ...rest }: DestinationEntry): Destination => rest;
  return sorted({ services: k.services.map((row) => ({ service: service(row.service), destinations: row.destinations.map(destination) })) });
}

/** Services by key, destinations by key: the kernel lists them in hash order. */
export function sorted(d: DesiredIpvs): DesiredIpvs {
  const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => key(a).localeCompare(key(b));
  return {
    services: [...d.services]
      .sort(byKey((r) => serviceKey(r.service)))
      .map((r) => ({ service: r.service, destinations: [...r.destinations].sort(byKey(hostPort)) })),
  };
}

/** `ipvsadm -Sn` lines, sorted (hash order differs between namespaces). */
export function savedRules(output: string): string[] {
  return output.split('\n').map((l) => l.trim()).filter(Boolean).sort();
}
