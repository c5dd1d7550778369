// The first kernel test proves where it runs: a kernel with IPVS, programmable with Debian's ipvsadm.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });

describeWith(['root', 'ipvs', 'ipvsadm', 'netns'], 'lab VM kernel', () => {
  it('is a kernel with IPVS', () => {
    console.log(`kernel ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}: ${readFileSync('/proc/net/ip_vs', 'utf8').split('\n')[0]}`);
    expect(existsSync('/proc/net/ip_vs')).toBe(true);
    expect(readFileSync('/proc/net/ip_vs', 'utf8')).toMatch(/^IP Virtual Server version \d+\.\d+\.\d+/);
  });

  it('programs and reads back a service with ipvsadm in a fresh namespace', () => {
    const ns = `lvsd-lab-${process.pid}`;
    run('ip', ['netns', 'add', ns]);
    try {
      const inNs = (args: string[]): string => run('ip', ['netns', 'exec', ns, ...args]);
      inNs(['ip', 'link', 'set', 'lo', 'up']);
      inNs(['ipvsadm', '-A', '-t', '198.18.0.10:80', '-s', 'wrr']);
      inNs(['ipvsadm', '-a', '-t', '198.18.0.10:80', '-r', '198.18.1.2:80', '-g', '-w', '5']);
      expect(inNs(['ipvsadm', '-Sn']).trim().split('\n')).toEqual([
        '-A -t 198.18.0.10:80 -s wrr',
        '-a -t 198.18.0.10:80 -r 198.18.1.2:80 -g -w 5',
      ]);
    } finally {
      run('ip', ['netns', 'del', ns]);
    }
  });
});
