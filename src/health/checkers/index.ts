// The checker for each check type.
import type { CheckSpec, Checker, ProbeResult, ProbeTarget } from '../types.js';
import { dnsChecker } from './dns.js';
import { execChecker } from './exec.js';
import { httpChecker } from './http.js';
import { pingChecker } from './ping.js';
import { tcpChecker } from './tcp.js';
import { udpChecker } from './udp.js';

/** Runs the checker matching `spec.type`. */
export const runCheck: Checker = (target: ProbeTarget, spec: CheckSpec, signal: AbortSignal): Promise<ProbeResult> => {
  switch (spec.type) {
    case 'tcp':
      return tcpChecker(target, spec, signal);
    case 'http':
    case 'https':
      return httpChecker(target, spec, signal);
    case 'dns':
      return dnsChecker(target, spec, signal);
    case 'udp':
      return udpChecker(target, spec, signal);
    case 'exec':
      return execChecker(target, spec, signal);
    case 'ping':
      return pingChecker(target, spec, signal);
  }
};
