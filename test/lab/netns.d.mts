// Types for netns.mjs, as far as the E2E kernel tests use it.
export function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, opts?: { timeoutMs?: number; intervalMs?: number }): Promise<T>;
export function sleep(ms: number): Promise<void>;
