#!/bin/sh
# PID 1 of the lab VM (runs from the initramfs, busybox only).
# It mounts the host's root read-only over virtio-9p with a tmpfs overlay on top, so every
# host binary (node, ipvsadm, keepalived, tcpdump) runs unchanged in the guest; the project
# directory is mounted read-write at the same path so results come back. The command to run
# and its environment come from the "ctl" share; its exit status goes back there.
export PATH=/bin:/sbin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() { echo "lvsd-lab: $*"; echo 125 > /ctl/rc 2>/dev/null; sync; poweroff -f; }

for m in $(cat /boot-modules); do modprobe "$m" || echo "lvsd-lab: modprobe $m failed"; done
P9=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$P9,cache=mmap" ctl /ctl || fail "no ctl share"
. /ctl/guest.env
mount -t 9p -o "$P9,ro,cache=loose" modules /lib/modules || fail "no modules share"
for m in $LAB_MODULES; do modprobe "$m" || echo "lvsd-lab: modprobe $m failed"; done

mount -t 9p -o "$P9,ro,cache=loose" hostroot /lower || fail "no hostroot share"
mount -t tmpfs -o mode=755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail "overlay"
R=/newroot
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t tmpfs tmpfs $R/tmp
mount -t tmpfs tmpfs $R/run
mkdir -p $R/lib/modules $R/run/lvsd-lab $R/run/netns
mount -o bind /lib/modules $R/lib/modules
mount -o bind /ctl $R/run/lvsd-lab
mkdir -p "$R$LAB_WORKDIR"
mount -t 9p -o "$P9,cache=$LAB_WORKCACHE" work "$R$LAB_WORKDIR" || fail "no work share"
ip link set lo up
# The serial console would otherwise turn every \n into \r\n in the transcript.
stty -onlcr 2>/dev/null
echo "lvsd-lab: guest up in $(cut -d' ' -f1 /proc/uptime)s, kernel $(cat /proc/sys/kernel/osrelease)"
chroot $R /bin/sh /run/lvsd-lab/command
echo $? > /ctl/rc
sync
poweroff -f
