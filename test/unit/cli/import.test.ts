// `lvsd import keepalived`: exit 0 for a complete conversion, 1 when something was left out,
// the report on stderr as file:line: keyword: ..., the YAML on stdout or in -o FILE.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerImportCommand } from '../../../src/cli/commands/import.js';
import { parseConfigText } from '../../../src/config/load.js';
import { runImport } from '../../../src/import/run.js';

const scratch = mkdtempSync(join(tmpdir(), 'lvsd-import-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (l: string) => err.push(l) } };
}

const good = 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    198.18.0.100/24\n  }\n}\n';

describe('lvsd import keepalived', () => {
  it('is registered as import keepalived FILE with -o and -i', () => {
    const program = new Command('lvsd');
    registerImportCommand(program);
    const keepalived = program.commands.find((c) => c.name() === 'import')?.commands.find((c) => c.name() === 'keepalived');
    expect(keepalived?.options.map((o) => o.long)).toEqual(['--output', '--config-id']);
  });

  it('exits 0 and prints YAML that lvsd check accepts when the conversion is complete', async () => {
    const file = join(scratch, 'good.conf');
    writeFileSync(file, good);
    const c = capture();
    expect(await runImport([file], { configId: ['lb1'] }, c.io)).toBe(0);
    expect(parseConfigText(c.out.join(''), 'out.yaml').ok).toBe(true);
    expect(c.err).toEqual(['import complete']);
  });

  it('exits 1 and reports file:line: keyword: for what it left out, writing -o FILE', async () => {
    const file = join(scratch, 'bad.conf');
    writeFileSync(file, good.replace('interface eth0', 'interface eth0\n  use_ipvlan'));
    const output = join(scratch, 'out.yaml');
    const c = capture();
    expect(await runImport([file], { configId: ['lb1'], output }, c.io)).toBe(1);
    expect(c.out).toEqual([]);
    expect(c.err[0]).toMatch(/bad\.conf:3: use_ipvlan: not imported: lvsd has no ipvlan support/);
    expect(c.err.at(-1)).toBe('import incomplete: 1 setting(s) not imported');
    expect(parseConfigText(readFileSync(output, 'utf8'), output).ok).toBe(true);
  });

  it('exits 1 for a file that cannot be read', async () => {
    const c = capture();
    expect(await runImport([join(scratch, 'missing.conf')], { configId: ['lb1'] }, c.io)).toBe(1);
    expect(c.err[0]).toMatch(/missing\.conf:1: file: not imported: cannot read the file/);
  });
});
