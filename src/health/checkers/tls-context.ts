// TLS material of https checks (ca, client_cert, client_key) as one SecureContext per distinct
// set of files, shared by every probe that names them. Built on first use and rebuilt from the
// files once it is a minute old, so a rotated certificate is picked up without a reload while ten
// thousand probes a second do not each read three files. The loader has already checked that the
// files exist and parse; one that went missing since fails the probe with the reason.
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { HttpCheck } from '../types.js';

/** How long a context is used before its files are read again. */
export const TLS_CONTEXT_MAX_AGE_MS = 60_000;

interface Cached {
  context: SecureContext;
  builtAt: number;
}

const cache = new Map<string, Cached>();

/** The context for the check's files; undefined when it names none (Node's defaults apply). */
export function tlsContext(spec: HttpCheck, now = performance.now()): SecureContext | undefined {
  if (spec.type !== 'https' || (spec.ca === undefined && spec.client_cert === undefined)) return undefined;
  const key = JSON.stringify([spec.ca, spec.client_cert, spec.client_key]);
  const cached = cache.get(key);
  if (cached && now - cached.builtAt < TLS_CONTEXT_MAX_AGE_MS) return cached.context;
  const context = createSecureContext({
    ...(spec.ca !== undefined ? { ca: read(spec.ca) } : {}),
    ...(spec.client_cert !== undefined ? { cert: read(spec.client_cert) } : {}),
    ...(spec.client_key !== undefined ? { key: read(spec.client_key) } : {}),
  });
  cache.set(key, { context, builtAt: now });
  return context;
}

function read(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
