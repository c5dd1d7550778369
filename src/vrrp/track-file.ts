// Watches one track file and reports the number it holds (see tracking.ts for what it means).
// Polls rather than using inotify so that files replaced by rename, or created later, are seen.
// A missing or unparsable file reads as 0, the value keepalived starts from.
import { readFile } from 'node:fs/promises';
import { parseTrackFile } from './tracking.js';

export class FileTracker {
  private timer: NodeJS.Timeout | undefined;
  private last: number | undefined;

  constructor(
    readonly path: string,
    private readonly pollMs: number,
    private readonly onChange: (value: number) => void,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.read();
    this.timer = setInterval(() => void this.read(), this.pollMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async read(): Promise<void> {
    let value = 0;
    try {
      value = parseTrackFile(await readFile(this.path, 'utf8')) ?? 0;
    } catch {
      value = 0;
    }
    if (!this.timer || value === this.last) return;
    this.last = value;
    this.onChange(value);
  }
}
