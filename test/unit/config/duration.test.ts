import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['100ms', 100],
    ['2s', 2000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['300s', 300_000],
    ['0s', 0],
    ['1.5s', 1500],
    ['1.1s', 1100],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
  ])('%s -> %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', '-1s', '1.5.2s', '2S', ' 2s', '2s ', 's', '1s1m', '1s1s', '0.5ms', '1d', '+1s', '1e3ms', 'ms100'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [100, '100ms'],
    [2000, '2s'],
    [90_000, '1m30s'],
    [1500, '1s500ms'],
    [3_600_000, '1h'],
  ])('%d -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
