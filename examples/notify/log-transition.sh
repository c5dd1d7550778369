#!/bin/sh
# Example VRRP notify hook. lvsd runs hooks as argv (no shell parses the config), with the
# transition in the environment:
#   LVSD_INSTANCE   instance name (or sync group name for group hooks)
#   LVSD_STATE      new state: master | backup | fault | stop
#   LVSD_PREVIOUS   previous state
#   LVSD_PRIORITY   effective priority at the transition
# Config:
#   notify: { master: [/etc/lvsd/notify/log-transition.sh, "became master"] }
set -eu
logger -t lvsd-notify "instance=${LVSD_INSTANCE:-?} ${LVSD_PREVIOUS:-?} -> ${LVSD_STATE:-?} prio=${LVSD_PRIORITY:-?} $*"
