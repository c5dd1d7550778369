// Public surface of the health subsystem for the daemon.
export { HealthMonitor } from './monitor.js';
export type { CheckStatus, HealthChange, HealthLogger, HealthMonitorOptions, MonitoredRealServer, RealServerStatus } from './monitor.js';
export { checkTargets } from './targets.js';
export { effectiveDestinations } from './effect.js';
export type { EffectiveService, EffectRealServer, EffectService, OperatorOverride, RealServerHealth, Weighted } from './effect.js';
export type { HealthState } from './state.js';
export type { SchedulerStats } from './schedule.js';
export type { CheckSpec, CheckType, ProbeResult, ProbeTarget } from './types.js';
