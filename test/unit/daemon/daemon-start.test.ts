// The daemon's start sequencing, on a node without services or VRRP instances (no kernel IPVS
// needed): a stop asked for during start ends it after the step in progress and stops cleanly; a
// reload asked for during start runs after it, not beside it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { callDaemon } from '../../../src/cli/control-client.js';
import { Daemon, StartAborted } from '../../../src/daemon/daemon.js';
import { createLogger } from '../../../src/daemon/log.js';
import { inProcessVrrp } from './vrrp-fakes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(): { dir: string; configPath: string; socket: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-start-'));
  dirs.push(dir);
  const socket = join(dir, 'lvsd.sock');
  const configPath = join(dir, 'lvsd.yaml');
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  writeFileSync(configPath, `node: { name: lb1 }\ncontrol: { socket: ${socket} }\nmetrics: { listen: 127.0.0.1:${port} }\nipvs: { state_dir: ${dir}/state }\n`);
  return { dir, configPath, socket };
}

/** A logger whose messages are collected; `on` runs when a message first appears. */
function logSink(on: Record<string, () => void>) {
  const messages: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const msg = (JSON.parse(line) as { msg: string }).msg;
        messages.push(msg);
        on[msg]?.();
      }
      done();
    },
  });
  return { log: createLogger({ level: 'info', pretty: false, destination }), messages };
}

describe('Daemon start', () => {
  it('stops cleanly after the step in progress when asked to stop during start', async () => {
    const { configPath, socket } = setup();
    const aborter = new AbortController();
    const { log, messages } = logSink({ 'control socket ready': () => aborter.abort() });
    await expect(Daemon.start({ configPath, log, signal: aborter.signal, startVrrp: inProcessVrrp() })).rejects.toBeInstanceOf(StartAborted);
    expect(messages).toContain('lvsd stopped');
    expect(messages).not.toContain('lvsd running');
    expect(existsSync(socket)).toBe(false);
  });

  it('runs a reload that arrives during start after the start, not beside it', async () => {
    const { configPath, socket } = setup();
    let reply: Promise<unknown> | undefined;
    const { log, messages } = logSink({ 'control socket ready': () => (reply = callDaemon(socket, 'reload')) });
    const daemon = await Daemon.start({ configPath, log, startVrrp: inProcessVrrp() });
    try {
      expect(await reply).toMatchObject({ ok: true, changed: false });
      expect(messages.indexOf('lvsd running')).toBeGreaterThan(-1);
      expect(messages.indexOf('reload: configuration unchanged')).toBeGreaterThan(messages.indexOf('lvsd running'));
    } finally {
      await daemon.stop();
    }
  });
});

describe('lvsd run', () => {
  const cli = resolve(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');

  it('is neither killed by SIGHUP and SIGTERM sent during start nor loses them: it stops cleanly', async () => {
    const { configPath } = setup();
    const child = spawn(process.execPath, [cli, 'run', '-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (!log.includes('control socket ready') && (log + chunk).includes('control socket ready')) {
        child.kill('SIGHUP');
        child.kill('SIGTERM');
      }
      log += chunk;
    });
    const { code, signal } = await exited;
    clearTimeout(timer);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(log).toMatch(/"msg":"lvsd stopped"/);
  }, 40_000);
});
