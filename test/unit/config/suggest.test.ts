import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../../src/config/suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('port', 'port')).toBe(0);
    expect(editDistance('prot', 'port')).toBe(1);
  });
});

describe('closestMatch', () => {
  const keys = ['scheduler', 'scheduler_flags', 'port', 'protocol', 'persistence', 'advert_interval'];
  it('suggests close keys', () => {
    expect(closestMatch('shceduler', keys)).toBe('scheduler');
    expect(closestMatch('prot', keys)).toBe('port');
    expect(closestMatch('advertInterval', keys)).toBe('advert_interval');
    expect(closestMatch('advert-interval', keys)).toBe('advert_interval');
  });
  it('stays quiet when nothing is close', () => {
    expect(closestMatch('banana', keys)).toBeUndefined();
    expect(closestMatch('x', keys)).toBeUndefined();
  });
});
