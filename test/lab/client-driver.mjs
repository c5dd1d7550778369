// The lab's client: one long-lived process in the client namespace that takes commands as JSON
// lines on stdin and answers each with one JSON line on stdout (same "id"). One process for the
// whole run, because starting node under the lab VM's emulation takes seconds.
//
//   {"id":1,"op":"burst","host":"198.18.0.100","port":80,"n":60,"concurrency":4,"timeoutMs":2000}
//     -> {"id":1,"hits":{"rs1":30,...},"failed":0,"errors":[],"ms":812}   fresh connection per request
//   {"id":2,"op":"stream-start","host":...,"port":80,"intervalMs":20,"timeoutMs":500}
//   {"id":3,"op":"stream-stop"} -> {"id":3,"records":[{"t":<epoch ms>,"ok":true,"by":"rs1"},...]}
//   {"id":4,"op":"conn-open","host":...,"port":80} -> {"id":4,"by":"rs2","localPort":40000}
//   {"id":5,"op":"conn-request"} -> {"id":5,"by":"rs2"} or {"id":5,"error":"..."}   same connection
//   {"id":6,"op":"pool-open","host":...,"port":80,"n":200} -> {"id":6,"conns":[{"localPort":40001,"by":"rs1"},...]}
//   {"id":7,"op":"pool-start","intervalMs":2000,"timeoutMs":5000}   each pooled connection asks every intervalMs
//   {"id":8,"op":"pool-stop"} -> {"id":8,"conns":[{"localPort":..,"by":"rs1","servers":["rs1"],"served":12,"error":null,"errorAt":null}]}
//   {"id":9,"op":"pool-close"}
import { get } from 'node:http';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';

/** One request on a fresh connection; resolves with the responder's name or rejects. */
function request(host, port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve(body.split(' ')[0]));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

async function burst({ host, port, n, concurrency = 4, timeoutMs = 2_000 }) {
  const started = Date.now();
  const hits = {};
  let failed = 0;
  const errors = new Set();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      try {
        const by = await request(host, port, timeoutMs);
        hits[by] = (hits[by] ?? 0) + 1;
      } catch (err) {
        failed++;
        errors.add(err.message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { hits, failed, errors: [...errors], ms: Date.now() - started };
}

/** A steady stream: one request every intervalMs, each on a fresh connection, each recorded. */
let stream;
function streamStart({ host, port, intervalMs = 20, timeoutMs = 500, maxRequests = 5_000 }) {
  if (stream) throw new Error('a stream is already running');
  const records = [];
  const pending = new Set();
  const timer = setInterval(() => {
    if (records.length >= maxRequests) return;
    const rec = { t: Date.now(), ok: false, by: null, ms: 0 };
    records.push(rec);
    const p = request(host, port, timeoutMs).then(
      (by) => Object.assign(rec, { ok: true, by, ms: Date.now() - rec.t }),
      () => Object.assign(rec, { ms: Date.now() - rec.t }),
    );
    pending.add(p);
    p.finally(() => pending.delete(p));
  }, intervalMs);
  stream = { timer, records, pending };
  return { ok: true };
}

async function streamStop() {
  if (!stream) throw new Error('no stream is running');
  const { timer, records, pending } = stream;
  stream = undefined;
  clearInterval(timer);
  await Promise.allSettled([...pending]);
  return { records };
}

/** A persistent HTTP/1.1 connection, for proving that an established connection survives failover. */
let conn;
function connOpen({ host, port, timeoutMs = 3_000 }) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    conn = { socket, buffer: '', waiter: undefined };
    socket.setEncoding('utf8');
    socket.on('data', (d) => {
      conn.buffer += d;
      conn.waiter?.();
    });
    socket.on('error', (err) => {
      conn.error = err.message;
      conn.waiter?.();
    });
    socket.on('close', () => {
      conn.error ??= 'connection closed';
      conn.waiter?.();
    });
    const timer = setTimeout(() => reject(new Error('connect timed out')), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      connRequest({ timeoutMs }).then((r) => resolve({ ...r, localPort: socket.localPort }), reject);
    });
  });
}

function connRequest({ timeoutMs = 3_000 } = {}) {
  if (!conn) throw new Error('no connection open');
  conn.buffer = '';
  conn.socket.write('GET / HTTP/1.1\r\nhost: lab\r\n\r\n');
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish({ error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    const finish = (r) => {
      clearTimeout(timer);
      conn.waiter = undefined;
      resolve(r);
    };
    conn.waiter = () => {
      const m = /\r\n\r\n(\S+) /.exec(conn.buffer);
      if (m) finish({ by: m[1] });
      else if (conn.error) finish({ error: conn.error });
    };
    conn.waiter();
  });
}

/**
 * A pool of long-lived keep-alive connections, for the Maglev property: after directors change,
 * does each connection still reach its real server? Each connection carries one request at a
 * time; the first failure (no answer within timeoutMs, a reset, a close) marks it broken for good.
 */
let pool = [];
let poolRun;

function pooledRequest(c, timeoutMs) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish({ error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    const finish = (r) => {
      clearTimeout(timer);
      c.waiter = undefined;
      resolve(r);
    };
    c.buffer = '';
    c.waiter = () => {
      const m = /\r\n\r\n(\S+) [^\n]*\n/.exec(c.buffer);
      if (m) finish({ by: m[1] });
      else if (c.closed) finish({ error: c.closed });
    };
    c.socket.write('GET / HTTP/1.1\r\nhost: lab\r\n\r\n');
    c.waiter();
  });
}

function openPooled(host, port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const c = { socket, buffer: '', waiter: undefined, closed: undefined, localPort: 0, by: null, servers: new Set(), served: 0, error: null, errorAt: null };
    socket.setEncoding('utf8');
    socket.on('data', (d) => {
      c.buffer += d;
      c.waiter?.();
    });
    const end = (why) => {
      c.closed ??= why;
      c.waiter?.();
    };
    socket.on('error', (err) => end(err.message));
    socket.on('close', () => end('connection closed'));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connect timed out'));
    }, timeoutMs);
    socket.once('connect', async () => {
      clearTimeout(timer);
      c.localPort = socket.localPort;
      const r = await pooledRequest(c, timeoutMs);
      if (r.error) return reject(new Error(r.error));
      c.by = r.by;
      c.servers.add(r.by);
      c.served = 1;
      resolve(c);
    });
  });
}

async function poolOpen({ host, port, n, concurrency = 8, timeoutMs = 5_000 }) {
  if (pool.length) throw new Error('a pool is already open');
  let next = 0;
  const opened = [];
  const worker = async () => {
    while (next < n) {
      next++;
      opened.push(await openPooled(host, port, timeoutMs));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  } catch (err) {
    for (const c of opened) c.socket.destroy();
    throw err;
  }
  pool = opened;
  return { conns: pool.map((c) => ({ localPort: c.localPort, by: c.by })) };
}

function poolStart({ intervalMs = 2_000, timeoutMs = 5_000 }) {
  if (poolRun) throw new Error('the pool is already running');
  const run = { stopped: false, loops: [] };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  run.loops = pool.map(async (c) => {
    // Spread over the interval, so the requests do not come in waves.
    await sleep(Math.random() * intervalMs);
    while (!run.stopped && c.error === null) {
      const r = await pooledRequest(c, timeoutMs);
      if (r.error) {
        c.error = r.error;
        c.errorAt = Date.now();
        break;
      }
      c.served++;
      c.servers.add(r.by);
      await sleep(intervalMs);
    }
  });
  poolRun = run;
  return { ok: true };
}

async function poolStop() {
  if (poolRun) {
    poolRun.stopped = true;
    await Promise.all(poolRun.loops);
    poolRun = undefined;
  }
  return { conns: pool.map((c) => ({ localPort: c.localPort, by: c.by, servers: [...c.servers], served: c.served, error: c.error, errorAt: c.errorAt })) };
}

async function poolClose() {
  await poolStop();
  for (const c of pool) c.socket.destroy();
  pool = [];
  return { ok: true };
}

const ops = { 'pool-open': poolOpen, 'pool-start': poolStart, 'pool-stop': poolStop, 'pool-close': poolClose, burst, 'stream-start': streamStart, 'stream-stop': streamStop, 'conn-open': connOpen, 'conn-request': connRequest };

createInterface({ input: process.stdin }).on('line', async (line) => {
  const cmd = JSON.parse(line);
  let reply;
  try {
    const op = ops[cmd.op];
    if (!op) throw new Error(`unknown op ${cmd.op}`);
    reply = await op(cmd);
  } catch (err) {
    reply = { error: err.message };
  }
  process.stdout.write(`${JSON.stringify({ id: cmd.id, ...reply })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdout.write('client ready\n');
