// lvsd's mark on the addresses it adds: IPv4 addresses carry the label "<ifname>:lvsd" (shown by
// `ip addr`), so teardown can prove them ours even without a state file. The kernel keeps no label
// for IPv6 addresses, so an IPv6 VIP is ours only by the record.
export function lvsdLabel(ifname: string): string {
  return `${ifname}:lvsd`;
}
