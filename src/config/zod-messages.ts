// Turns zod issues into operator sentences: "what is wrong, what was expected", with
// "did you mean" for misspelled keys and values. The schema leaves carry the "expected ..."
// half (primitives.ts); the "what is wrong" half comes from the value the operator wrote.
import type * as z from 'zod';
import { formatPath, type ConfigPath } from './issues.js';
import { EXPECTED } from './primitives.js';
import { closestMatch } from './suggest.js';

/** A problem located by config path; load.ts turns the path into file:line:col. */
export interface PathIssue {
  /** Where the message says the problem is. */
  path: ConfigPath;
  message: string;
  /** Where to point when that differs from `path` (the key itself for unknown keys). */
  locate?: { path: ConfigPath; key: boolean };
}

type Issue = z.core.$ZodIssue;

/** Internal bookkeeping so a misspelt key is reported once, not also as a missing key. */
interface TaggedIssue extends PathIssue {
  missingKey?: string;
  suggestedKey?: string;
}

export function zodIssuesToPathIssues(issues: readonly Issue[], root: unknown, schema: z.ZodType): PathIssue[] {
  const all = issues.flatMap((issue) => convert(issue, [], root, schema));
  const suggested = new Set(all.filter((i) => i.suggestedKey).map((i) => `${formatPath(i.path)}|${i.suggestedKey}`));
  return all
    .filter((i) => i.missingKey === undefined || !suggested.has(`${formatPath(i.path)}|${i.missingKey}`))
    .map(({ path, message, locate }) => (locate ? { path, message, locate } : { path, message }));
}

function convert(issue: Issue, prefix: ConfigPath, root: unknown, schema: z.ZodType): TaggedIssue[] {
  const path: ConfigPath = [...prefix, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
  const value = valueAt(root, path);
  const expectation = issue.message.startsWith(EXPECTED) ? issue.message : undefined;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const { allowed, elsewhere } = mappingKeysAt(schema, path, root);
      return issue.keys.map((key) => {
        const guess = closestMatch(key, allowed);
        const variants = elsewhere.get(key);
        const hint = variants
          ? `it only applies with ${variants.join(' or ')}`
          : guess !== undefined ? `did you mean "${guess}"?` : `expected one of ${allowed.join(', ')}`;
        const tagged: TaggedIssue = { path, message: `unknown key "${key}", ${hint}`, locate: { path: [...path, key], key: true } };
        if (guess !== undefined && !variants) tagged.suggestedKey = guess;
        return tagged;
      });
    }
    case 'invalid_type': {
      const expected = expectation ?? `${EXPECTED}${friendlyType(issue.expected)}`;
      if (value === undefined && path.length > 0) return [missingKey(path, expected)];
      return [{ path, message: `got ${describeValue(value)}, ${expected}` }];
    }
    case 'too_big':
    case 'too_small': {
      const expected = expectation ?? `${EXPECTED}${issue.code === 'too_big' ? 'at most' : 'at least'} ${String(issue.code === 'too_big' ? issue.maximum : issue.minimum)}`;
      if (Array.isArray(value)) return [{ path, message: `list has ${value.length} item${value.length === 1 ? '' : 's'}, ${expected}` }];
      if (typeof value === 'string') return [{ path, message: `${describeValue(value)} is too ${issue.code === 'too_big' ? 'long' : 'short'}, ${expected}` }];
      return [{ path, message: `${describeValue(value)} is out of range, ${expected}` }];
    }
    case 'invalid_value': {
      const expected = expectation ?? `${EXPECTED}one of ${issue.values.map((v) => String(v)).join(', ')}`;
      return [{ path, message: `${describeValue(value)} is not allowed${suggestion(value, issue.values)}, ${expected}` }];
    }
    case 'invalid_union':
      return convertUnion(issue, path, value, expectation, root, schema);
    case 'invalid_key': {
      // A mapping keyed by names (nodes:): the key is the value at fault.
      const key = String(path[path.length - 1]);
      const inner = issue.issues.find((i) => i.message.startsWith(EXPECTED))?.message ?? `${EXPECTED}another key`;
      return [{ path: path.slice(0, -1), message: `key ${describeValue(key)} is not valid, ${inner}`, locate: { path, key: true } }];
    }
    default: {
      if (expectation === undefined) return [{ path, message: issue.message }];
      return [{ path, message: `${describeValue(value)} is not valid, ${expectation}` }];
    }
  }
}

function convertUnion(
  issue: z.core.$ZodIssueInvalidUnion,
  path: ConfigPath,
  value: unknown,
  expectation: string | undefined,
  root: unknown,
  schema: z.ZodType,
): TaggedIssue[] {
  if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
    // A discriminated union reports at path + discriminator, which may not exist.
    const options = issue.options.map((o) => String(o));
    const expected = `${EXPECTED}one of ${options.join(', ')}`;
    if (value === undefined) return [missingKey(path, expected)];
    return [{ path, message: `${describeValue(value)} is not allowed${suggestion(value, options)}, ${expected}` }];
  }
  // Plain unions (a VIP as string or mapping): when exactly one branch got past the type
  // check, its complaints are the useful ones.
  const relevant = issue.errors.filter((branch) => !(branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0));
  if (relevant.length === 1 && relevant[0]) return relevant[0].flatMap((i) => convert(i, path, root, schema));
  const expected = expectation ?? `${EXPECTED}a value of another kind`;
  if (value === undefined && path.length > 0) return [missingKey(path, expected)];
  return [{ path, message: `got ${describeValue(value)}, ${expected}` }];
}

function missingKey(path: ConfigPath, expected: string): TaggedIssue {
  const key = String(path[path.length - 1]);
  return { path: path.slice(0, -1), message: `key "${key}" is missing, ${expected}`, missingKey: key };
}

function suggestion(value: unknown, options: readonly unknown[]): string {
  if (typeof value !== 'string') return '';
  const guess = closestMatch(value, options.map((o) => String(o)));
  return guess !== undefined ? ` (did you mean "${guess}"?)` : '';
}

function friendlyType(expected: string): string {
  switch (expected) {
    case 'object': return 'a mapping (key: value)';
    case 'array': return 'a list';
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'int': return 'an integer';
    case 'boolean': return 'true or false';
    default: return expected;
  }
}

/** The value as the operator would recognize it in their file. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `"${shown.replace(/[\x00-\x1f\x7f]/g, escapeControl)}"`;
  }
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** Control characters are shown escaped (\u0000, \r\n), or the message would carry them. */
function escapeControl(c: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function valueAt(root: unknown, path: ConfigPath): unknown {
  let current = root;
  for (const seg of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[seg];
  }
  return current;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
}

const defOf = (s: z.ZodType): SchemaDef => s._zod.def as unknown as SchemaDef;

/** Strips wrappers (optional, default, transform, ...) and picks the union branch `value` took. */
function unwrap(schema: z.ZodType, value: unknown): z.ZodType {
  for (let depth = 0; depth < 20; depth++) {
    const def = defOf(schema);
    const next =
      def.innerType ??
      (def.type === 'pipe' ? def.in : undefined) ??
      (def.type === 'union' ? pickBranch(def, value) : undefined);
    if (!next) return schema;
    schema = next;
  }
  return schema;
}

function pickBranch(def: SchemaDef, value: unknown): z.ZodType | undefined {
  const options = def.options ?? [];
  if (def.discriminator !== undefined && value !== null && typeof value === 'object') {
    const tag = (value as Record<string, unknown>)[def.discriminator];
    return options.find((o) => {
      const field = defOf(unwrap(o, value)).shape?.[def.discriminator ?? ''];
      return field !== undefined && (field._zod.def as { values?: unknown[] }).values?.includes(tag);
    });
  }
  return options.find((o) => defOf(unwrap(o, value)).type === (Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : ''));
}

interface MappingKeys {
  /** Keys the mapping at the path accepts. */
  allowed: string[];
  /** Keys only other variants of a discriminated union accept: key -> e.g. ["type: https"]. */
  elsewhere: Map<string, string[]>;
}

/** The keys the (strict) mapping at `path` accepts, for "did you mean". */
function mappingKeysAt(schema: z.ZodType, path: ConfigPath, root: unknown): MappingKeys {
  const none: MappingKeys = { allowed: [], elsewhere: new Map() };
  let current: z.ZodType | undefined = schema;
  let value: unknown = root;
  for (const seg of path) {
    if (!current) return none;
    const def = defOf(unwrap(current, value));
    current = def.type === 'object' ? def.shape?.[String(seg)] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
  }
  if (!current) return none;
  const allowed = Object.keys(defOf(unwrap(current, value)).shape ?? {});
  const elsewhere = new Map<string, string[]>();
  const union = findDiscriminatedUnion(current);
  for (const option of union?.options ?? []) {
    const shape = defOf(unwrap(option, undefined)).shape ?? {};
    const tagField = shape[union?.discriminator ?? ''];
    const tags = ((tagField?._zod.def as { values?: unknown[] } | undefined)?.values ?? []).map((t) => `${union?.discriminator}: ${String(t)}`);
    for (const key of Object.keys(shape)) {
      if (!allowed.includes(key)) elsewhere.set(key, [...(elsewhere.get(key) ?? []), ...tags]);
    }
  }
  return { allowed, elsewhere };
}

function findDiscriminatedUnion(schema: z.ZodType): SchemaDef | undefined {
  for (let depth = 0; depth < 20; depth++) {
    const def = defOf(schema);
    if (def.type === 'union' && def.discriminator !== undefined) return def;
    // `check:` is one check or a list of them: the discriminated union is the mapping branch.
    if (def.type === 'union') return (def.options ?? []).map((o) => defOf(o)).find((o) => o.type === 'union' && o.discriminator !== undefined);
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!next) return undefined;
    schema = next;
  }
  return undefined;
}
