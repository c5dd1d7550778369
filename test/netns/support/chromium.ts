// Headless Debian chromium driven over the DevTools protocol on its pipe (--remote-debugging-pipe:
// we write commands to its fd 3, it answers on fd 4, each message JSON ended by a NUL byte), so a
// test needs no WebSocket client and no npm package. Enough for one page: navigate, evaluate,
// screenshot. Started in a network namespace (to reach a listener on that namespace's loopback)
// and stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Netns } from '../../support/netns.mjs';

interface Reply {
  id?: number;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class Chromium {
  private nextId = 1;
  private buffered = '';
  private readonly pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, () => void>();
  private session: string | undefined;
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    const input = child.stdio[4] as Readable;
    input.setEncoding('utf8').on('data', (d: string) => this.onData(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    child.once('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited: ${this.stderr}`));
      this.pending.clear();
    });
  }

  /** Starts chromium in `ns` with one blank page of `width`×`height` attached. */
  static async start(ns: Netns, width = 1400, height = 900): Promise<Chromium> {
    const profile = mkdtempSync(path.join(tmpdir(), 'lvsd-chromium-'));
    const child = spawn(
      'ip',
      [
        'netns', 'exec', ns.name, 'chromium', '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
        '--disable-extensions', '--disable-background-networking', '--disable-dev-shm-usage', '--remote-debugging-pipe',
        `--user-data-dir=${profile}`, `--window-size=${width},${height}`, 'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const browser = new Chromium(child, profile);
    try {
      const { targetInfos } = (await browser.send('Target.getTargets', {}, undefined, 30_000)) as { targetInfos: Array<{ targetId: string; type: string }> };
      const page = targetInfos.find((t) => t.type === 'page');
      if (!page) throw new Error('chromium opened no page');
      browser.session = ((await browser.send('Target.attachToTarget', { targetId: page.targetId, flatten: true })) as { sessionId: string }).sessionId;
      await browser.page('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    } catch (err) {
      await browser.stop();
      throw err;
    }
    return browser;
  }

  /** Loads `url` and resolves when its load event fired. */
  async navigate(url: string): Promise<void> {
    await this.page('Page.enable');
    const loaded = this.waitForEvent('Page.loadEventFired');
    await this.page('Page.navigate', { url });
    await loaded;
  }

  /** The value of a JavaScript expression in the page (awaited when it is a promise). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.page('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** A PNG of the whole page. */
  async screenshot(): Promise<Buffer> {
    const r = (await this.page('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true })) as { data: string };
    return Buffer.from(r.data, 'base64');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      const gone = new Promise((resolve) => this.child.once('exit', resolve));
      process.kill(this.child.pid, 'SIGTERM');
      const timer = setTimeout(() => this.child.pid !== undefined && this.child.exitCode === null && process.kill(this.child.pid, 'SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    // The browser's helper processes may still be writing into the profile for a moment after
    // the browser itself exited (ENOTEMPTY seen once in CI): rmSync retries that.
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }

  private page(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.send(method, params, this.session);
  }

  private waitForEvent(method: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(method);
        reject(new Error(`chromium: no ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.set(method, () => {
        clearTimeout(timer);
        this.listeners.delete(method);
        resolve();
      });
    });
  }

  private send(method: string, params: Record<string, unknown>, sessionId?: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`chromium: ${method} got no answer within ${timeoutMs} ms; stderr: ${this.stderr}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      (this.child.stdio[3] as Writable).write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let end: number;
    while ((end = this.buffered.indexOf('\0')) >= 0) {
      const msg = JSON.parse(this.buffered.slice(0, end)) as Reply & { method?: string };
      this.buffered = this.buffered.slice(end + 1);
      if (msg.method) this.listeners.get(msg.method)?.();
      if (msg.id === undefined) continue;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`chromium: ${msg.error.message}`));
      else p?.resolve(msg.result ?? {});
    }
  }
}
