import { describe, expect, it } from 'vitest';
import { parseExpectedStatus } from '../../../src/config/http-status.js';
import { httpUrls, statusExpected } from '../../../src/health/checkers/http.js';
import type { HttpCheck } from '../../../src/health/types.js';

describe('expected HTTP statuses', () => {
  it('matches codes and inclusive ranges', () => {
    const expected = [204, '200-202', '301-308'];
    expect([200, 201, 202, 203, 204, 300, 301, 308, 309, 503].filter((s) => statusExpected(expected, s))).toEqual([200, 201, 202, 204, 301, 308]);
    expect(statusExpected(['100-599'], 599)).toBe(true);
    expect(statusExpected([200], 201)).toBe(false);
  });

  it('parses ranges and says what is wrong with bad ones', () => {
    expect(parseExpectedStatus('200-299')).toEqual({ low: 200, high: 299 });
    expect(parseExpectedStatus(' 200 - 204 ')).toEqual({ low: 200, high: 204 });
    expect(parseExpectedStatus('204')).toEqual({ low: 204, high: 204 });
    expect(parseExpectedStatus('299-200')).toEqual({ problem: 'expected a range low-high with low <= high (200-299?)' });
    expect(parseExpectedStatus('200-700')).toEqual({ problem: 'expected statuses within 100-599' });
    expect(parseExpectedStatus(99)).toEqual({ problem: 'expected an HTTP status 100-599' });
    expect(parseExpectedStatus('2xx')).toEqual({ problem: 'expected an HTTP status 100-599 or a range such as 200-299' });
  });

  it('a check without urls requests its one path', () => {
    const base = { type: 'http', method: 'GET', interval: 1000, timeout: 500, rise: 1, fall: 1, warmup: 0 } as const;
    expect(httpUrls({ ...base, path: '/h', expect_status: ['200-299'], expect_digest: 'ab' } as HttpCheck)).toEqual([{ path: '/h', expect_status: ['200-299'], expect_digest: 'ab' }]);
    const urls = [{ path: '/a', expect_status: [200] }, { path: '/b', expect_status: [204] }];
    expect(httpUrls({ ...base, urls } as HttpCheck)).toBe(urls);
  });
});
