// The lab's traffic and what it shows: the host-side handle on the client driver
// (client-driver.mjs, running in the client namespace), packet captures that tell who sent the
// replies, and the arithmetic on the results (hit shares, the failover gap).

/** Talks to client-driver.mjs over its stdin/stdout, one JSON line per command and reply. */
export class ClientDriver {
  constructor(proc) {
    this.proc = proc;
    this.nextId = 1;
    this.waiting = new Map();
    this.buffer = '';
    proc.child.stdout.on('data', (d) => {
      this.buffer += d;
      const lines = this.buffer.split('\n');
      this.buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const reply = JSON.parse(line);
        this.waiting.get(reply.id)?.(reply);
        this.waiting.delete(reply.id);
      }
    });
  }

  /** Sends one command; rejects on a driver error or when no reply comes within timeoutMs. */
  call(op, params = {}, timeoutMs = 60_000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`client driver: no reply to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error !== undefined && op !== 'conn-request') reject(new Error(`client driver ${op}: ${reply.error}`));
        else resolve(reply);
      });
      this.proc.child.stdin.write(`${JSON.stringify({ id, op, ...params })}\n`);
    });
  }

  /** `n` requests to a service's VIP, each on a fresh connection: { hits: {rs: count}, failed, ms }. */
  burst(service, n, { concurrency = 4, timeoutMs = 3_000 } = {}) {
    return this.call('burst', { host: service.vip, port: service.port, n, concurrency, timeoutMs }, 30_000 + n * timeoutMs);
  }

  streamStart(service, { intervalMs = 20, timeoutMs = 500 } = {}) {
    return this.call('stream-start', { host: service.vip, port: service.port, intervalMs, timeoutMs });
  }

  /** Stops the stream and returns its records [{ t, ok, by, ms }], oldest first. */
  async streamStop() {
    return (await this.call('stream-stop', {}, 30_000)).records;
  }

  connOpen(service) {
    return this.call('conn-open', { host: service.vip, port: service.port });
  }

  connRequest() {
    return this.call('conn-request', { timeoutMs: 3_000 }, 10_000);
  }

  /** `n` keep-alive connections to a service, each with one request answered: [{ localPort, by }]. */
  async poolOpen(service, n, { timeoutMs = 5_000 } = {}) {
    return (await this.call('pool-open', { host: service.vip, port: service.port, n, timeoutMs }, 60_000 + n * 1_000)).conns;
  }

  /** Every pooled connection asks once per `intervalMs`; its first failure (after `timeoutMs`) breaks it for good. */
  poolStart({ intervalMs = 2_000, timeoutMs = 5_000 } = {}) {
    return this.call('pool-start', { intervalMs, timeoutMs });
  }

  /** Stops asking and returns each connection: [{ localPort, by, servers, served, error, errorAt }]. */
  async poolStop() {
    return (await this.call('pool-stop', {}, 60_000)).conns;
  }

  poolClose() {
    return this.call('pool-close', {}, 60_000);
  }

  async close() {
    this.proc.child.stdin.end();
    await this.proc.stop(2_000);
  }
}

/**
 * The outcome of a request stream around a failover. The gap runs from the last success before
 * the first failure to the first success after the last failure; `inGap` counts the requests
 * started inside it (those a perfect failover of that length would still lose); `spacingMs` the
 * median and largest interval between two requests' starts.
 */
export function analyseStream(records) {
  const failed = records.filter((r) => !r.ok);
  const total = records.length;
  // How evenly the requests started: the gap's resolution.
  const starts = records.slice(1).map((r, i) => r.t - records[i].t).sort((a, b) => a - b);
  const spacingMs = { median: starts[Math.floor(starts.length / 2)] ?? NaN, max: starts.at(-1) ?? NaN };
  if (failed.length === 0) return { total, failed: 0, gapMs: 0, inGap: 0, lastBefore: undefined, firstAfter: undefined, spacingMs };
  const firstFail = records.indexOf(failed[0]);
  const lastFail = records.lastIndexOf(failed[failed.length - 1]);
  const lastBefore = records.slice(0, firstFail).findLast((r) => r.ok);
  const firstAfter = records.slice(lastFail + 1).find((r) => r.ok);
  const from = lastBefore?.t ?? records[0].t;
  const to = firstAfter?.t ?? records[total - 1].t;
  const inGap = records.filter((r) => r.t > from && r.t < to).length;
  return { total, failed: failed.length, gapMs: to - from, inGap, lastBefore, firstAfter, spacingMs };
}

/** Each real server's share of `hits` next to its share of the configured weights. */
export function shares(hits, weights) {
  const totalHits = Object.values(hits).reduce((a, b) => a + b, 0);
  const totalWeight = Object.values(weights).reduce((a, b) => a + b, 0);
  return Object.entries(weights).map(([rs, weight]) => ({
    rs,
    weight,
    hits: hits[rs] ?? 0,
    expected: totalHits * (weight / totalWeight),
    share: totalHits ? (hits[rs] ?? 0) / totalHits : 0,
    weightShare: weight / totalWeight,
  }));
}

/**
 * tcpdump on one interface of one namespace, started before and stopped after some traffic.
 * `stop()` returns each captured frame: capture time (epoch ms), source and destination MAC and
 * tcpdump's summary of the rest.
 */
export async function startCapture(ns, ifname, filter) {
  const proc = ns.spawn('tcpdump', ['-i', ifname, '-e', '-n', '-tt', '-l', '--immediate-mode', '-c', '5000', filter]);
  await proc.waitForOutput(/listening on/, 20_000);
  const frames = () =>
    proc.output
      .split('\n')
      .map((line) => /^(\d+\.\d+) ([0-9a-f:]{17}) > ([0-9a-f:]{17}), .*?, length \d+: (.*)$/.exec(line))
      .filter(Boolean)
      .map((m) => ({ t: Math.round(Number(m[1]) * 1000), srcMac: m[2], dstMac: m[3], summary: m[4] }));
  return {
    async stop() {
      // Under emulation tcpdump may lag behind the traffic: wait until it has printed everything
      // (no new frame for 300 ms, at most 5 s), then SIGINT, on which it exits.
      let seen = -1;
      for (let i = 0; i < 50 && frames().length !== seen; i++) {
        seen = frames().length;
        await new Promise((r) => setTimeout(r, 300));
      }
      await proc.stop(3_000, 'SIGINT');
      return frames();
    },
  };
}

/** Counts captured frames by sender name, using a MAC-to-name map. */
export function countBySender(frames, macs) {
  const counts = {};
  for (const f of frames) {
    const who = macs[f.srcMac] ?? f.srcMac;
    counts[who] = (counts[who] ?? 0) + 1;
  }
  return counts;
}

/** The capture filter for `announcements`: VRRP adverts and ARP. */
export const ANNOUNCEMENTS_FILTER = 'arp or ip proto 112';

/**
 * Per sender, when its first and last VRRP advert and its first gratuitous ARP were captured (epoch ms):
 * the wire's side of a failover, next to what the daemons log.
 */
export function announcements(frames, macs) {
  const out = {};
  for (const f of frames) {
    const who = macs[f.srcMac] ?? f.srcMac;
    const a = (out[who] ??= { firstAdvert: undefined, lastAdvert: undefined, firstGarp: undefined });
    if (/VRRP/.test(f.summary)) {
      a.firstAdvert ??= f.t;
      a.lastAdvert = f.t;
    } else if (/^Request who-has (\S+) tell \1\b|^Reply \S+ is-at/.test(f.summary)) {
      a.firstGarp ??= f.t;
    }
  }
  return out;
}
