// A kernel table of VIP routes in memory, for the announcer and daemon tests: what it holds,
// every call made, and failures on demand.
import type { VipRoutes } from '../../../src/bgp/types.js';

export class FakeRoutes implements VipRoutes {
  readonly table = new Set<string>();
  readonly calls: string[] = [];
  failNext = 0;
  closed = false;
  private maybeFail(op: string): void {
    this.calls.push(op);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('ENOBUFS');
    }
  }
  async list(): Promise<string[]> {
    this.maybeFail('list');
    return [...this.table];
  }
  async add(vip: string): Promise<void> {
    this.maybeFail(`add ${vip}`);
    this.table.add(vip);
  }
  async remove(vip: string): Promise<void> {
    this.maybeFail(`remove ${vip}`);
    this.table.delete(vip);
  }
  close(): void {
    this.closed = true;
  }
}
