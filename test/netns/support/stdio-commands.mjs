// The stdin/stdout protocol of the test hosts (vrrp-node.mjs, daemon-node.mjs) that VrrpNode in
// vrrp-lab.ts speaks: JSON commands with an id on stdin, one JSON answer per command and
// unasked events on stdout.
import { createInterface } from 'node:readline';

export const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

/** Answers each {"id","cmd",...} line with {"id","result"} or {"id","error"}, then says ready. */
export function serveCommands(commands) {
  createInterface({ input: process.stdin }).on('line', async (line) => {
    const c = JSON.parse(line);
    try {
      const handler = commands[c.cmd];
      if (!handler) throw new Error(`unknown command ${c.cmd}`);
      print({ id: c.id, result: (await handler(c)) ?? null });
    } catch (err) {
      print({ id: c.id, error: String(err?.stack ?? err) });
    }
  });
  print({ event: 'ready' });
}
