// Loads test/fixtures/vrrp/keepalived-adverts.txt: real keepalived adverts (see its header).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface GoldenAdvert {
  label: string;
  family: 4 | 6;
  src: string;
  dst: string;
  ttl: number;
  payload: Buffer;
}

const file = fileURLToPath(new URL('../../fixtures/vrrp/keepalived-adverts.txt', import.meta.url));

export const goldenAdverts: readonly GoldenAdvert[] = readFileSync(file, 'utf8')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [label, family, src, dst, ttl, hex] = line.split(' ');
    if (!label || !src || !dst || !hex || (family !== '4' && family !== '6')) throw new Error(`bad fixture line: ${line}`);
    return { label, family: family === '4' ? 4 : 6, src, dst, ttl: Number(ttl), payload: Buffer.from(hex, 'hex') };
  });

export function golden(label: string): GoldenAdvert {
  const g = goldenAdverts.find((a) => a.label === label);
  if (!g) throw new Error(`no golden advert ${label}`);
  return g;
}
