#!/bin/sh
# Example VRRP notify hook: logs every transition to syslog. lvsd runs hooks as argv (no shell
# parses the config); the transition is in the environment:
#   LVSD_VRRP_KIND            instance | group (a sync group's own hooks)
#   LVSD_VRRP_NAME            instance or sync group name
#   LVSD_VRRP_STATE           new state: master | backup | fault | stop
#   LVSD_VRRP_PREVIOUS_STATE  previous state (initialize at start)
#   LVSD_VRRP_REASON          why: startup, owner, master-down, higher-priority, preempt-delay,
#                             fault, fault-cleared, sync-group, step-down, take-over, shutdown
#   LVSD_VRRP_VRID            instance only: virtual router id
#   LVSD_VRRP_INTERFACE       instance only: interface
#   LVSD_VRRP_PRIORITY        instance only: effective priority at the transition
# An `any` hook also gets the name and the new state as its last two arguments.
# Hooks of one instance run one at a time in transition order and are killed (with their whole
# process group) after 30 s; stdout and stderr go to lvsd's log. The file and its directories
# must be owned by root and writable by nobody else, or lvsd refuses to run it.
# Config:
#   notify: { any: [/etc/lvsd/notify/log-transition.sh] }
set -eu
logger -t lvsd-notify "${LVSD_VRRP_KIND:-?} ${LVSD_VRRP_NAME:-?}: ${LVSD_VRRP_PREVIOUS_STATE:-?} -> ${LVSD_VRRP_STATE:-?} (${LVSD_VRRP_REASON:-?}) vrid=${LVSD_VRRP_VRID:--} prio=${LVSD_VRRP_PRIORITY:--} args: $*"
