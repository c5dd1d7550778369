// The lab's real-server application: one process per real-server namespace, listening on every
// port given, answering each request with the server's name, so a client can count hits per real
// server. Uses node:http only, because node starts slowly under the lab VM's emulation.
//
//   node http-listener.mjs NAME PORT [PORT...]     prints "listening NAME PORT..." when ready
import { createServer } from 'node:http';

const [name, ...ports] = process.argv.slice(2);
if (!name || ports.length === 0) {
  process.stderr.write('usage: http-listener.mjs NAME PORT [PORT...]\n');
  process.exit(2);
}

const servers = ports.map((port) =>
  createServer((req, res) => {
    // The local address tells which path the request took: the VIP (DR, TUN) or our own address (NAT).
    const body = `${name} ${req.socket.localAddress}:${req.socket.localPort}\n`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-served-by': name });
    res.end(body);
  }),
);
// Keep-alive connections stay open long enough for the connection-sync test to fail over under them.
for (const s of servers) s.keepAliveTimeout = 120_000;

await Promise.all(servers.map((s, i) => new Promise((resolve, reject) => s.once('error', reject).listen(Number(ports[i]), '0.0.0.0', resolve))));
process.stdout.write(`listening ${name} ${ports.join(' ')}\n`);
process.once('SIGTERM', () => process.exit(0));
