import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../../src/health/heap.js';

describe('MinHeap', () => {
  it('pops in key order whatever the push order', () => {
    const h = new MinHeap<number>((a, b) => a < b);
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1009);
    for (const v of values) h.push(v);
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop() as number);
    expect(out).toEqual([...values].sort((a, b) => a - b));
    expect(h.pop()).toBeUndefined();
  });

  it('peek shows the minimum without removing it', () => {
    const h = new MinHeap<{ at: number }>((a, b) => a.at < b.at);
    h.push({ at: 5 });
    h.push({ at: 2 });
    expect(h.peek()).toEqual({ at: 2 });
    expect(h.size).toBe(2);
  });
});
