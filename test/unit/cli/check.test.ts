import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCheck, type Output } from '../../../src/cli/check-report.js';
import { registerCheckCommand } from '../../../src/cli/commands/check.js';

const example = fileURLToPath(new URL('../../../examples/lvsd.yaml', import.meta.url));
const invalid = fileURLToPath(new URL('../../fixtures/config/invalid/55-multiple-errors.yaml', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'lvsd-config-check-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

function writeConfig(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

describe('lvsd check', () => {
  it('exits 0 and prints the summary for a valid file', async () => {
    const io = capture();
    expect(await runCheck({ config: example }, io)).toBe(0);
    expect(io.stderr).toEqual([]);
    expect(io.stdout).toEqual([
      `${example}: OK, node lb1`,
      'VRRP instances: 1',
      '  web  eth0  vrid 51  prio 150  v3  every 100ms  multicast  198.18.0.100/24',
      'services: 1',
      '  web  tcp 198.18.0.100:80  wrr  dr  2 real servers  check http  persistence 5m',
    ]);
  });

  it('exits 1 and prints one file:line:col line per problem to stderr', async () => {
    const io = capture();
    expect(await runCheck({ config: invalid }, io)).toBe(1);
    expect(io.stdout).toEqual([]);
    expect(io.stderr).toEqual([
      `${invalid}:5:11: services[0].port: 70000 is out of range, expected a port 0-65535`,
      `${invalid}:6:15: services[0].protocol: "icmp" is not allowed, expected one of tcp, udp, sctp`,
      `${invalid}:8:11: services[0].real_servers[0]: unknown key "adress", did you mean "address"?`,
      `${invalid}: 3 errors, the configuration was not accepted`,
    ]);
  });

  it('exits 1 when the file cannot be read', async () => {
    const io = capture();
    expect(await runCheck({ config: join(scratch, 'missing.yaml') }, io)).toBe(1);
    expect(io.stderr[0]).toBe(`${join(scratch, 'missing.yaml')}:1:1: cannot read the config file (ENOENT)`);
  });

  it('prints warnings to stderr without failing, unless --strict', async () => {
    const path = writeConfig('warn.yaml', 'node: { name: lb1 }\nservices:\n  - { name: dns, vip: "2001:2::53", port: 53, protocol: udp, scheduler: sh, scheduler_flags: [sh-port] }\n  - { name: m, fwmark: 9, family: ipv4 }\n');
    const io = capture();
    expect(await runCheck({ config: path }, io)).toBe(0);
    expect(io.stderr).toEqual([`${path}:3:23: warning: services[0].vip: 2001:2::53 is not floated by any VRRP instance, it must already be configured on this host`]);
    expect(io.stdout).toEqual([
      `${path}: OK, node lb1 (1 warning)`,
      'VRRP instances: 0',
      'services: 2',
      '  dns  udp [2001:2::53]:53  sh   dr  0 real servers  no check',
      '  m    fwmark 9 ipv4        wlc  dr  0 real servers  no check',
    ]);
    const strict = capture();
    expect(await runCheck({ config: path, strict: true }, strict)).toBe(1);
    expect(strict.stderr.at(-1)).toBe(`${path}: 1 warning, refused because of --strict`);
  });

  it('--json prints the loaded configuration', async () => {
    const io = capture();
    expect(await runCheck({ config: example, json: true }, io)).toBe(0);
    const config = JSON.parse(io.stdout.join('\n')) as { services: { persistence: number; real_servers: unknown[] }[] };
    expect(config.services[0]?.persistence).toBe(300_000);
    expect(config.services[0]?.real_servers).toHaveLength(2);
  });

  it('registers on a commander program with described options and sets the exit code', async () => {
    const program = new Command('lvsd').exitOverride();
    registerCheckCommand(program);
    const check = program.commands.find((c) => c.name() === 'check');
    const help = check?.helpInformation() ?? '';
    expect(help).toContain('-c, --config <file>');
    expect(help).toContain('--json');
    expect(help).toContain('--strict');
    for (const option of check?.options ?? []) expect(option.description.length).toBeGreaterThan(10);

    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const before = process.exitCode;
    try {
      await program.parseAsync(['check', '-c', invalid], { from: 'user' });
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = before;
      write.mockRestore();
    }
  });
});
