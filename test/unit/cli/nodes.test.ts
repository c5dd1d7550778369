// --node on the command line: which node of a file with nodes: a command is about.
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { runCheck, type Output } from '../../../src/cli/check-report.js';
import { registerCheckCommand } from '../../../src/cli/commands/check.js';
import { registerControlCommands } from '../../../src/cli/commands/control.js';
import { registerPlanCommands } from '../../../src/cli/commands/plan.js';
import { registerRunCommand } from '../../../src/cli/commands/run.js';
import { chooseNode } from '../../../src/cli/node-option.js';

const pair = fileURLToPath(new URL('../../fixtures/config/valid/pair.yaml', import.meta.url));

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe('--node', () => {
  it('is named by the option, else LVSD_NODE, else the host name (run, plan) or every node (check)', () => {
    const host = () => 'lb2.dc1.example.test';
    expect(chooseNode('lb1', 'host name', { LVSD_NODE: 'lb2' }, host)).toEqual({ by: 'option', name: 'lb1' });
    expect(chooseNode(undefined, 'host name', { LVSD_NODE: 'lb2' }, host)).toEqual({ by: 'environment', name: 'lb2' });
    expect(chooseNode(undefined, 'host name', { LVSD_NODE: '' }, host)).toEqual({ by: 'host name', name: 'lb2.dc1.example.test' });
    expect(chooseNode(undefined, 'all', {}, host)).toEqual({ by: 'all' });
  });

  it('is an option of run, check, plan, apply and reload', () => {
    const program = new Command('lvsd');
    registerRunCommand(program);
    registerCheckCommand(program);
    registerPlanCommands(program);
    registerControlCommands(program);
    for (const name of ['run', 'check', 'plan', 'apply', 'reload']) {
      const option = program.commands.find((c) => c.name() === name)?.options.find((o) => o.long === '--node');
      expect(option?.description, name).toMatch(/node/);
    }
  });

  it('lvsd check without --node checks every node and prints each node\'s VRRP, the services once', async () => {
    const io = capture();
    expect(await runCheck({ config: pair }, io)).toBe(0);
    expect(io.stderr).toEqual([]);
    expect(io.stdout).toEqual([
      `${pair}: OK, nodes lb1, lb2`,
      'node lb1: VRRP instances: 2',
      '  web  eth0  vrid 51  prio 150  v3  every 100ms  unicast to 198.18.0.2  198.18.0.100/24',
      '  db   eth0  vrid 52  prio 150  v3  every 1s     unicast to 198.18.0.2  198.18.0.101/24',
      'node lb1: sync groups: 1',
      '  both  web, db',
      'node lb2: VRRP instances: 2',
      '  web  eth0  vrid 51  prio 100  v3  every 100ms  unicast to 198.18.0.1  198.18.0.100/24',
      '  db   eth0  vrid 52  prio 100  v3  every 1s     unicast to 198.18.0.1  198.18.0.101/24',
      'node lb2: sync groups: 1',
      '  both  web, db',
      'services: 1',
      '  web  tcp 198.18.0.100:80  wlc  dr  2 real servers  check tcp',
    ]);
  });

  it('lvsd check --node NAME checks that node as a one-node file; an unknown node exits 1 with file:line:col', async () => {
    const io = capture();
    expect(await runCheck({ config: pair, node: { by: 'option', name: 'lb2' } }, io)).toBe(0);
    expect(io.stdout[0]).toBe(`${pair}: OK, node lb2`);
    const json = capture();
    expect(await runCheck({ config: pair, json: true }, json)).toBe(0);
    expect(Object.keys(JSON.parse(json.stdout.join('\n')) as object)).toEqual(['lb1', 'lb2']);

    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const program = new Command('lvsd').exitOverride();
    registerCheckCommand(program);
    const before = process.exitCode;
    try {
      await program.parseAsync(['check', '-c', pair, '--node', 'lb9'], { from: 'user' });
      expect(process.exitCode).toBe(1);
      expect(write.mock.calls.map((c) => String(c[0])).join('')).toContain(`${pair}:22:1: nodes: no node lb9 (--node) in nodes`);
    } finally {
      process.exitCode = before;
      write.mockRestore();
    }
  });
});
