#!/bin/sh
# Real-server setup for hosts that do not run node: the same job as `lvsd realserver`, in POSIX
# sh with iproute2. Needs root.
#
#   realserver-arp.sh setup|teardown|check --mode dr|tun --vip ADDR[,ADDR] [--uplink IF[,IF]]
#                     [--state FILE] [--print-persist]
#   realserver-arp.sh check --mode nat --gateway ADDR
#
# DR:  each VIP on lo (/32, IPv6 /128 nodad); arp_ignore=1 and arp_announce=2 on all and the
#      uplinks, so the host never answers ARP for the VIP or uses it as an ARP source.
# TUN: ipip loaded (it creates tunl0), tunl0 up with the VIP (IPv6: ip6_tunnel, ip6tnl0), the same
#      ARP settings, and rp_filter relaxed from strict (1) to loose (2) on all and tunl0: the kernel
#      uses max(all, tunl0), and strict mode drops decapsulated packets whose replies leave by the
#      uplink. Loose, not off, still drops sources with no route at all.
# NAT: check that the default route points at the director.
#
# setup records what it changed and the previous values in the state file (default
# /run/lvsd/realserver.state); teardown undoes exactly that, newest first, and leaves alone any
# value changed since. IPv4 VIPs get the label IF:lvsd, so teardown without a state file can
# still find them. Exit status: 0 all ok, 1 a check failed, 2 usage error.
set -eu

STATE=/run/lvsd/realserver.state
MODE= VIPS= UPLINKS= GATEWAY= PRINT_PERSIST=0 COMMAND=
FAILED=0

usage() {
	echo "usage: $0 setup|teardown|check --mode dr|tun|nat [--vip ADDR[,ADDR]] [--uplink IF[,IF]] [--gateway ADDR] [--state FILE] [--print-persist]" >&2
	if [ $# -gt 0 ]; then echo "$0: $*" >&2; fi
	exit 2
}

# Options may be given as "--opt value" or "--opt=value"; lists are comma- or repeat-separated.
while [ $# -gt 0 ]; do
	arg=$1
	shift
	case $arg in
	--*=*) value=${arg#*=}; arg=${arg%%=*} ;;
	--print-persist | -h | --help) value= ;;
	--*) [ $# -gt 0 ] || usage "$arg needs a value"; value=$1; shift ;;
	*) value= ;;
	esac
	case $arg in
	setup | teardown | check) [ -z "$COMMAND" ] || usage "one command only"; COMMAND=$arg ;;
	--mode) MODE=$value ;;
	--vip) VIPS="$VIPS $(echo "$value" | tr ',' ' ')" ;;
	--uplink) UPLINKS="$UPLINKS $(echo "$value" | tr ',' ' ')" ;;
	--gateway) GATEWAY=$value ;;
	--state) STATE=$value ;;
	--print-persist) PRINT_PERSIST=1 ;;
	-h | --help) usage ;;
	*) usage "unknown argument: $arg" ;;
	esac
done

[ -n "$COMMAND" ] || usage "name a command: setup, teardown or check"
case $MODE in
dr | tun) if [ -n "$GATEWAY" ]; then usage "--gateway is only used with --mode nat"; fi ;;
nat) [ -n "$GATEWAY" ] || usage "--mode nat needs --gateway ADDR"; [ -z "$VIPS" ] || usage "--vip is not used with --mode nat" ;;
'') if [ "$COMMAND" != teardown ] || [ ! -f "$STATE" ]; then usage "--mode is required (dr, tun or nat)"; fi ;;
*) usage "--mode must be dr, tun or nat, not \"$MODE\"" ;;
esac

family_of() {
	case $1 in
	*:*) echo 6 ;;
	*.*.*.*) echo 4 ;;
	*) usage "not an IPv4 or IPv6 address: $1" ;;
	esac
}

for vip in $VIPS; do family_of "${vip%/*}" >/dev/null; done
if [ "$MODE" = dr ] || [ "$MODE" = tun ]; then [ -n "$VIPS" ] || [ "$COMMAND" = teardown ] || usage "--mode $MODE needs --vip ADDR[,ADDR]"; fi

say() { printf '%s\n' "$*"; }
ok() { say "  ok    $*"; }
fail() {
	FAILED=1
	say "  FAIL  $1"
	[ -z "${2:-}" ] || say "        fix: $2"
}

# Sysctl keys are paths under /proc/sys, so interface names with dots (VLANs) stay unambiguous.
sysctl_get() { cat "/proc/sys/$1" 2>/dev/null || true; }
sysctl_set() { printf '%s\n' "$2" >"/proc/sys/$1"; }
dotted() { case $1 in *.*) echo "$1" ;; *) echo "$1" | tr / . ;; esac; }

record() {
	mkdir -p "$(dirname "$STATE")"
	touch "$STATE"
	printf '%s\n' "$*" >>"$STATE"
}

# A sysctl set again keeps the value from before the FIRST setup; only the applied value changes.
record_sysctl() {
	if [ -f "$STATE" ] && grep -q "^sysctl $1 " "$STATE"; then
		awk -v k="$1" -v v="$3" '$1 == "sysctl" && $2 == k { $4 = v } { print }' "$STATE" >"$STATE.tmp" && mv "$STATE.tmp" "$STATE"
	else
		record sysctl "$1" "$2" "$3"
	fi
}

has_v4_vip() {
	for vip in $VIPS; do
		if [ "$(family_of "${vip%/*}")" = 4 ]; then return 0; fi
	done
	return 1
}

vip_device() {
	if [ "$MODE" = dr ]; then echo lo; elif [ "$1" = 4 ]; then echo tunl0; else echo ip6tnl0; fi
}

tunnel_module() { if [ "$1" = tunl0 ]; then echo ipip; else echo ip6_tunnel; fi; }

link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
link_up() { ip -o link show dev "$1" 2>/dev/null | grep -q '[<,]UP[,>]'; }

# The prefixes of an address on a device, e.g. "32" (empty when absent).
address_prefixes() {
	ip -o "-$(family_of "$1")" addr show dev "$2" 2>/dev/null | awk -v a="$1" '{ split($4, p, "/"); if (p[1] == a) print p[2] }'
}

resolve_uplinks() {
	[ -z "$UPLINKS" ] || return 0
	UPLINKS=$(ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }' | sort -u | grep -v -x -e lo -e tunl0 -e ip6tnl0 || true)
	[ -n "$UPLINKS" ] || UPLINKS=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -v -x -e lo -e tunl0 -e ip6tnl0 || true)
}

# The sysctls each mode needs: "key accepted-values value".
wanted_sysctls() {
	has_v4_vip || return 0
	for i in all $UPLINKS; do
		say "net/ipv4/conf/$i/arp_ignore 1,2,8 1"
		say "net/ipv4/conf/$i/arp_announce 2 2"
	done
	if [ "$MODE" = tun ]; then
		say "net/ipv4/conf/all/rp_filter 0,2 2"
		say "net/ipv4/conf/tunl0/rp_filter 0,2 2"
	fi
}

# The kernel uses max(conf/all, conf/IFACE) for arp_ignore, arp_announce and rp_filter.
max() { if [ "$1" -gt "$2" ]; then echo "$1"; else echo "$2"; fi; }

accepted() { case ",$2," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

tunnel_devices() {
	[ "$MODE" = tun ] || return 0
	for vip in $VIPS; do vip_device "$(family_of "${vip%/*}")"; done | sort -u
}

do_setup() {
	resolve_uplinks
	for dev in $(tunnel_devices); do
		if ! link_exists "$dev"; then
			modprobe "$(tunnel_module "$dev")"
			record module "$(tunnel_module "$dev")" "$dev"
			say "loaded $(tunnel_module "$dev") ($dev)"
		fi
		if ! link_up "$dev"; then
			ip link set "$dev" up
			record link-up "$dev"
			say "set $dev up"
		fi
	done
	for vip in $VIPS; do
		vip=${vip%/*}
		fam=$(family_of "$vip")
		dev=$(vip_device "$fam")
		[ -z "$(address_prefixes "$vip" "$dev")" ] || continue
		if [ "$fam" = 4 ]; then
			ip -4 addr add "$vip/32" dev "$dev" label "$dev:lvsd"
			record address "$dev" "$vip/32"
		else
			ip -6 addr add "$vip/128" dev "$dev" nodad
			record address "$dev" "$vip/128"
		fi
		say "added $vip to $dev"
	done
	wanted_sysctls | while read -r key ok_values value; do
		current=$(sysctl_get "$key")
		[ -n "$current" ] || continue
		accepted "$current" "$ok_values" && continue
		sysctl_set "$key" "$value"
		record_sysctl "$key" "$current" "$value"
		say "$(dotted "$key"): $current -> $value"
	done
}

do_check() {
	resolve_uplinks
	if [ "$MODE" = nat ]; then
		fam=$(family_of "$GATEWAY")
		six=
		[ "$fam" = 4 ] || six='-6 '
		route=$(ip "-$fam" route show default | head -n 1)
		via=$(echo "$route" | awk '{ for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1) }')
		if [ "$via" = "$GATEWAY" ]; then ok "default route via $GATEWAY"; else fail "default route: ${route:-none}, not via the director $GATEWAY" "ip ${six}route replace default via $GATEWAY"; fi
		return 0
	fi
	for dev in $(tunnel_devices); do
		if ! link_exists "$dev"; then fail "$dev does not exist" "modprobe $(tunnel_module "$dev")"
		elif ! link_up "$dev"; then fail "$dev is down" "ip link set $dev up"
		else ok "$dev exists and is up"; fi
	done
	for vip in $VIPS; do
		vip=${vip%/*}
		fam=$(family_of "$vip")
		dev=$(vip_device "$fam")
		prefix=32
		nodad=
		[ "$fam" = 4 ] || { prefix=128; nodad=' nodad'; }
		have=$(address_prefixes "$vip" "$dev")
		if [ "$have" = "$prefix" ]; then ok "$vip/$prefix on $dev"
		elif [ -n "$have" ]; then fail "$vip is on $dev as /$have, not /$prefix" "ip addr del $vip/$have dev $dev && ip addr add $vip/$prefix dev $dev$nodad"
		else fail "$vip/$prefix is not on $dev" "ip addr add $vip/$prefix dev $dev$nodad"; fi
		for other in $(ip -o "-$fam" addr show | awk -v a="$vip" '{ split($4, p, "/"); if (p[1] == a) print $2 "=" $4 }'); do
			case ${other%%=*} in lo | tunl0 | ip6tnl0) continue ;; esac
			fail "${other#*=} is also on ${other%%=*}, which answers for it" "ip addr del ${other#*=} dev ${other%%=*}"
		done
	done
	has_v4_vip || return 0
	for i in $UPLINKS; do
		for name in arp_ignore arp_announce; do
			all=$(sysctl_get "net/ipv4/conf/all/$name")
			own=$(sysctl_get "net/ipv4/conf/$i/$name")
			if [ -z "$own" ]; then fail "$name on $i: no such interface" "name an existing interface with --uplink"; continue; fi
			eff=$(max "$all" "$own")
			want=1,2,8 set=1
			if [ "$name" = arp_announce ]; then want=2 set=2; fi
			if accepted "$eff" "$want"; then ok "$name on $i = $eff (max of all=$all, $i=$own)"
			else fail "$name on $i = $eff (max of all=$all, $i=$own)" "sysctl -w net.ipv4.conf.all.$name=$set $(dotted "net/ipv4/conf/$i/$name")=$set"; fi
		done
	done
	if [ "$MODE" = tun ]; then
		all=$(sysctl_get net/ipv4/conf/all/rp_filter)
		own=$(sysctl_get net/ipv4/conf/tunl0/rp_filter)
		[ -n "$own" ] || return 0
		eff=$(max "$all" "$own")
		if accepted "$eff" 0,2; then ok "rp_filter on tunl0 = $eff (max of all=$all, tunl0=$own)"
		else fail "rp_filter on tunl0 = $eff (max of all=$all, tunl0=$own)" "sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.tunl0.rp_filter=2"; fi
	fi
}

do_teardown() {
	if [ ! -f "$STATE" ]; then
		say "no state file at $STATE: sysctls stay as they are (their values before setup were not recorded)"
		for vip in $VIPS; do
			vip=${vip%/*}
			[ "$(family_of "$vip")" = 4 ] || { say "$vip: IPv6 addresses carry no mark; not provably ours, left alone"; continue; }
			ip -o -4 addr show | awk -v a="$vip" '{ split($4, p, "/"); for (i = 5; i <= NF; i++) if (p[1] == a && $i == $2 ":lvsd") print $2, $4 }' | while read -r dev cidr; do
				ip addr del "$cidr" dev "$dev"
				say "removed $cidr from $dev (label $dev:lvsd)"
			done
		done
		return 0
	fi
	# Newest first (POSIX has no tac).
	sed -n '1!G;h;$p' "$STATE" | while read -r kind a b c; do
		case $kind in
		sysctl)
			current=$(sysctl_get "$a")
			if [ -z "$current" ]; then say "$(dotted "$a") no longer exists; nothing to restore"
			elif [ "$current" = "$c" ] && [ "$current" != "$b" ]; then sysctl_set "$a" "$b"; say "$(dotted "$a"): $current -> $b"
			elif [ "$current" != "$b" ]; then say "$(dotted "$a") is $current, not the $c setup wrote: changed since, left alone"; fi
			;;
		address)
			if [ -n "$(address_prefixes "${b%/*}" "$a")" ]; then ip addr del "$b" dev "$a"; say "removed $b from $a"
			else say "$b is no longer on $a; nothing to remove"; fi
			;;
		link-up)
			# The link-local address the kernel adds when a device comes up is not a user.
			if [ -n "$(ip -o addr show dev "$a" 2>/dev/null | grep -v 'scope link')" ]; then say "$a stays up: it carries addresses setup did not add"
			elif link_up "$a"; then ip link set "$a" down; say "set $a down"; fi
			;;
		module) say "module $a stays loaded: unloading it would delete every $a tunnel, not only $b" ;;
		esac
	done
	rm -f "$STATE"
}

print_persist() {
	resolve_uplinks
	if [ "$MODE" = nat ]; then
		say "# the default route must point at the director:"
		say "ip route replace default via $GATEWAY"
		return 0
	fi
	say "# /etc/sysctl.d/90-lvsd-realserver.conf"
	wanted_sysctls | while read -r key _ value; do say "$(dotted "$key") = $value"; done
	devices=$(tunnel_devices)
	if [ -n "$devices" ]; then
		say "# /etc/modules-load.d/lvsd-realserver.conf"
		for dev in $devices; do tunnel_module "$dev"; done
	fi
	say "# at boot (e.g. ifupdown 'up' lines):"
	for dev in $devices; do say "ip link set $dev up"; done
	for vip in $VIPS; do
		vip=${vip%/*}
		fam=$(family_of "$vip")
		if [ "$fam" = 4 ]; then say "ip -4 addr add $vip/32 dev $(vip_device 4) label $(vip_device 4):lvsd"
		else say "ip -6 addr add $vip/128 dev $(vip_device 6) nodad"; fi
	done
}

case $COMMAND in
setup)
	if [ "$PRINT_PERSIST" = 1 ]; then print_persist; exit 0; fi
	[ "$MODE" = nat ] || do_setup
	say "check:"
	do_check
	;;
teardown) do_teardown ;;
check) do_check ;;
esac
exit "$FAILED"
