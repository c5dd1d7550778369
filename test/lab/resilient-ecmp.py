# The BGP lab router's resilient ECMP: BIRD 2.0 programs a multipath route (hash-threshold:
# adding a fourth next hop re-slices the hash space and moves about half of all flows), and
# cannot program the kernel's resilient nexthop groups (Linux 5.13+, `ip nexthop ... type
# resilient`), where a new next hop takes only its share of hash buckets and a removed one
# gives up only its own, as routers with resilient hashing do. So BIRD exports into a table of
# its own, and this follows the VIP's route there into one resilient group that the main table
# routes the VIP through.
#
#   python3 resilient-ecmp.py VIP BIRD_TABLE GROUP_ID BUCKETS GATEWAY=NEXTHOP_ID...
#     The nexthops (one per director, the ids given) exist already. Prints "following" once it
#     watches, then one line per change it applies: "applied <epoch ms> <gateway,...>".
import subprocess
import sys
import time

if len(sys.argv) < 6:
    sys.stderr.write('usage: resilient-ecmp.py VIP BIRD_TABLE GROUP_ID BUCKETS GATEWAY=NEXTHOP_ID...\n')
    sys.exit(2)
VIP, TABLE, GROUP, BUCKETS = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
NEXTHOP_IDS = dict(arg.split('=', 1) for arg in sys.argv[5:])

# One `ip` for every change: starting a process per change costs tens of ms under emulation.
# -force: a refused command (deleting a route already gone) does not end the batch.
ip = subprocess.Popen(['ip', '-force', '-batch', '-'], stdin=subprocess.PIPE, text=True, bufsize=1)
monitor = subprocess.Popen(['ip', '-o', 'monitor', 'route'], stdout=subprocess.PIPE, text=True, bufsize=1)
print('following', flush=True)


def gateways(words):
    """The next hops of a route line (`-o`: a multipath route's hops follow on the same line)."""
    if words[0] == 'Deleted':
        return []
    return sorted({nexthop for w, nexthop in zip(words, words[1:]) if w == 'via'})


def is_bird_vip_route(words):
    """The VIP's route in BIRD's table: the group's route in main shows up in the monitor too."""
    dst = words[1] if words[:1] == ['Deleted'] else words[0] if words else ''
    return dst in (VIP, f'{VIP}/32') and any(w == 'table' and t == TABLE for w, t in zip(words, words[1:]))


applied = None
for line in monitor.stdout:
    words = line.split()
    if not is_bird_vip_route(words):
        continue
    hops = [g for g in gateways(words) if g in NEXTHOP_IDS]
    if hops == applied:
        continue
    if hops:
        group = '/'.join(NEXTHOP_IDS[g] for g in hops)
        # idle_timer 0: buckets move at once, only as many as the new balance needs.
        ip.stdin.write(f'nexthop replace id {GROUP} group {group} type resilient buckets {BUCKETS} idle_timer 0\n')
        ip.stdin.write(f'route replace {VIP}/32 nhid {GROUP}\n')
    else:
        # A group cannot be empty: with no director left the route goes.
        ip.stdin.write(f'route del {VIP}/32\n')
    applied = hops
    print(f'applied {int(time.time() * 1000)} {",".join(hops)}', flush=True)
