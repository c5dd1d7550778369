// The request stream that measures a failover's client gap, from the client namespace
// (stream-client.py). Kept out of traffic.mjs, which every lab test imports, because it runs
// python3, a need only the BGP lab and its bench declare.
const STREAM_CLIENT = new URL('stream-client.py', import.meta.url).pathname;

/**
 * A request stream from the client namespace `ns` (stream-client.py: a fresh connection every
 * `intervalMs`, kept at that rate in the lab VM where the node client driver's stream is not).
 * `stop()` returns its records [{ t, ok, by, ms }], oldest first.
 */
export async function startStream(ns, service, { intervalMs = 10, timeoutMs = 900, maxRequests = 3_000 } = {}) {
  const proc = ns.spawn('python3', ['-u', STREAM_CLIENT, service.vip, String(service.port), String(intervalMs), String(timeoutMs), String(maxRequests)], { stdin: 'pipe' });
  await proc.waitForOutput(/^stream running/m, 60_000);
  return {
    async stop() {
      proc.child.stdin.end('stop\n');
      // The whole line: a long one arrives in several reads.
      const [, line] = await proc.waitForOutput(/^(\{"records".*)\n/m, timeoutMs + 30_000);
      await proc.stop(2_000);
      return JSON.parse(line).records;
    },
  };
}
