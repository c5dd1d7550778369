// The control socket's wire format: one JSON object per line in each direction.
// A request names a method; the reply carries the same id and either a result or an error.

export interface ControlRequest {
  id: number;
  method: string;
  params?: Record<string, unknown>;
}

export type ControlResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };

/** Longest line either side accepts; a status of thousands of real servers fits easily. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** A JSON object, or undefined for anything else (bad JSON, arrays, scalars). */
function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function parseRequest(line: string): ControlRequest | undefined {
  const value = parseObject(line);
  if (!value) return undefined;
  const { id, method, params } = value;
  if (typeof id !== 'number' || !Number.isInteger(id) || typeof method !== 'string') return undefined;
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) return undefined;
  return params === undefined ? { id, method } : { id, method, params: params as Record<string, unknown> };
}

export function parseResponse(line: string): ControlResponse | undefined {
  const v = parseObject(line);
  if (!v) return undefined;
  if (typeof v.id !== 'number') return undefined;
  if (v.ok === true) return { id: v.id, ok: true, result: v.result };
  if (v.ok === false && typeof v.error === 'string') return { id: v.id, ok: false, error: v.error };
  return undefined;
}

/** Splits a byte stream into lines, refusing lines longer than MAX_LINE_BYTES. */
export class LineSplitter {
  private pending = '';

  /** Returns complete lines; throws when a line grows past the limit (the peer is misbehaving). */
  push(chunk: string): string[] {
    this.pending += chunk;
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    if (this.pending.length > MAX_LINE_BYTES) throw new Error(`control message longer than ${MAX_LINE_BYTES} bytes`);
    return parts.filter((l) => l.trim() !== '');
  }
}
