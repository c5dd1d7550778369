// Executes a Plan through the IPVS client. The operations of one phase are issued together and
// pipelined on the socket (one round trip per phase, not per object); the next phase starts when
// the previous one is settled, so later phases can react to failures:
//  - real servers of a service that failed to be added are skipped, not sent to fail;
//  - old real servers of a service whose new ones or edits failed are kept, so a half-applied
//    change never leaves a service with fewer servers than before;
//  - a service being replaced (new identity) is kept, and not drained, while its replacement has
//    failed changes: draining it then would leave the traffic nowhere to go.
import { serviceKey, serviceName } from './names.js';
import { hostPort } from '../net/address.js';
import { drainEndText, phaseOf, type Operation, type Plan } from './plan.js';
import type { Destination, DestinationId, Service, ServiceId } from './types.js';

/** The part of IpvsClient the executor needs; tests pass a fake. */
export interface IpvsWriter {
  addService(s: Service): Promise<void>;
  updateService(s: Service): Promise<void>;
  deleteService(id: ServiceId): Promise<void>;
  addDestination(id: ServiceId, d: Destination): Promise<void>;
  updateDestination(id: ServiceId, d: Destination): Promise<void>;
  deleteDestination(id: ServiceId, d: DestinationId): Promise<void>;
}

export interface ApplyResult {
  applied: Operation[];
  failed: { operation: Operation; error: Error }[];
  skipped: { operation: Operation; reason: string }[];
  elapsedMs: number;
}

function run(client: IpvsWriter, op: Operation): Promise<void> {
  switch (op.kind) {
    case 'add-service': return client.addService(op.service);
    case 'edit-service': return client.updateService(op.service);
    case 'delete-service': return client.deleteService(op.service);
    case 'add-dest': return client.addDestination(op.service, op.dest);
    case 'edit-dest':
    case 'drain-dest': return client.updateDestination(op.service, op.dest);
    case 'delete-dest': return client.deleteDestination(op.service, op.dest);
  }
}

/** One line naming what an operation does, for logs and reports. */
export function describeOperation(op: Operation): string {
  switch (op.kind) {
    case 'add-service': return `add service ${serviceName(op.service)}`;
    case 'edit-service': return `edit service ${serviceName(op.service)}`;
    case 'delete-service': return `delete service ${serviceName(op.service)}${op.drained ? ` (${drainEndText[op.drained]})` : ''}`;
    case 'add-dest': return `add real server ${hostPort(op.dest)} to ${serviceName(op.service)}`;
    case 'edit-dest': return `edit real server ${hostPort(op.dest)} of ${serviceName(op.service)}`;
    case 'drain-dest': return `drain real server ${hostPort(op.dest)} of ${serviceName(op.service)}: weight 0 until idle, deleted by ${new Date(op.deadline).toISOString()} at the latest`;
    case 'delete-dest': return `delete real server ${hostPort(op.dest)} of ${serviceName(op.service)}${op.drained ? ` (${drainEndText[op.drained]})` : ''}`;
  }
}

/** Why an operation must not run given the services whose earlier operations failed, if so. */
function skipReason(op: Operation, failedAdds: Set<string>, failedServices: Set<string>): string | undefined {
  const key = serviceKey(op.service);
  if ((op.kind === 'add-dest' || op.kind === 'edit-dest') && failedAdds.has(key)) {
    return `service ${serviceName(op.service)} could not be added`;
  }
  if ((op.kind === 'delete-dest' || op.kind === 'drain-dest') && failedServices.has(key)) {
    return `kept while ${serviceName(op.service)} has failed changes`;
  }
  if ((op.kind === 'delete-service' || op.kind === 'drain-dest') && op.replacedBy && failedServices.has(serviceKey(op.replacedBy))) {
    return `kept while its replacement ${serviceName(op.replacedBy)} has failed changes`;
  }
  return undefined;
}

export async function applyPlan(client: IpvsWriter, plan: Plan): Promise<ApplyResult> {
  const started = performance.now();
  const result: ApplyResult = { applied: [], failed: [], skipped: [], elapsedMs: 0 };
  const failedAdds = new Set<string>();
  const failedServices = new Set<string>();
  const phases = [...new Set(plan.operations.map(phaseOf))].sort((a, b) => a - b);
  for (const p of phases) {
    const ops = plan.operations.filter((op) => phaseOf(op) === p);
    const runnable: Operation[] = [];
    for (const op of ops) {
      const reason = skipReason(op, failedAdds, failedServices);
      if (reason) result.skipped.push({ operation: op, reason });
      else runnable.push(op);
    }
    const outcomes = await Promise.allSettled(runnable.map((op) => run(client, op)));
    outcomes.forEach((outcome, i) => {
      const op = runnable[i];
      if (!op) return;
      if (outcome.status === 'fulfilled') {
        result.applied.push(op);
        return;
      }
      const error = outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason));
      result.failed.push({ operation: op, error });
      const key = serviceKey(op.service);
      failedServices.add(key);
      if (op.kind === 'add-service') failedAdds.add(key);
    });
  }
  result.elapsedMs = performance.now() - started;
  return result;
}
