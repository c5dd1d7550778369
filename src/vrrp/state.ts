// The four states of a VRRP instance (RFC 5798 6.4, plus fault for a failed tracker). A module of
// its own because the counters, the state machine, notify and the daemon all name them.
export type VrrpState = 'initialize' | 'backup' | 'master' | 'fault';
