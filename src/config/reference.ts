// The configuration reference in README.md, generated from the JSON Schema (itself generated
// from the zod model), so the documentation cannot drift from what the loader accepts.
import { configJsonSchema } from './json-schema.js';

interface SchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
  $ref?: string;
  not?: unknown;
}

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

const escape = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(node: SchemaNode, defs: Record<string, SchemaNode>): string {
  if (node.allOf?.length === 1 && node.allOf[0]) return typeOf(node.allOf[0], defs);
  if (node.$ref) return node.$ref.split('/').pop() ?? 'object';
  if (node.not !== undefined) return 'not allowed';
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return alternatives.map((n) => typeOf(n, defs)).join(' or ');
  if (node.type === 'array' && node.items) return `list of ${typeOf(node.items, defs)}`;
  const t = Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any');
  if (t === 'integer' && node.minimum !== undefined && node.maximum !== undefined) return `integer ${node.minimum}-${node.maximum}`;
  return t;
}

/** The object a node describes, through list items and references. */
function objectOf(node: SchemaNode, defs: Record<string, SchemaNode>): SchemaNode | undefined {
  if (node.$ref) return objectOf(defs[node.$ref.split('/').pop() ?? ''] ?? {}, defs);
  if (node.type === 'array' && node.items) return objectOf(node.items, defs);
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) {
    for (const a of alternatives) {
      const o = objectOf(a, defs);
      if (o) return o;
    }
  }
  return node.properties ? node : undefined;
}

/** A reference to a shared definition, also as one alternative or as list items ("Check or list of Check"). */
function isShared(node: SchemaNode): boolean {
  if (node.$ref || node.allOf) return true;
  const alternatives = node.anyOf ?? node.oneOf;
  return (alternatives?.some(isShared) ?? false) || (node.type === 'array' && node.items !== undefined && isShared(node.items));
}

function rows(node: SchemaNode, prefix: string, defs: Record<string, SchemaNode>, out: Row[]): void {
  const required = new Set(node.required ?? []);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const key = `${prefix}${name}`;
    const isList = child.type === 'array';
    out.push({
      key: `\`${key}${isList ? '[]' : ''}\``,
      type: escape(typeOf(child, defs)),
      default: child.default !== undefined && JSON.stringify(child.default) !== '{}' ? `\`${JSON.stringify(child.default)}\`` : required.has(name) ? 'required' : '',
      description: escape(child.description ?? ''),
    });
    // Shared definitions (Check, Notify) get a table of their own instead of being inlined.
    const inner = isShared(child) ? undefined : objectOf(child, defs);
    if (inner) rows(inner, `${key}${isList ? '[]' : ''}.`, defs, out);
  }
}

function table(title: string, node: SchemaNode, defs: Record<string, SchemaNode>): string[] {
  const out: Row[] = [];
  rows(node, '', defs, out);
  return [`### ${title}`, '', '| key | type | default | meaning |', '| --- | --- | --- | --- |', ...out.map((r) => `| ${r.key} | ${r.type} | ${r.default} | ${r.description} |`), ''];
}

export function configReferenceMarkdown(): string {
  const schema = configJsonSchema() as SchemaNode & { definitions?: Record<string, SchemaNode> };
  const defs = schema.definitions ?? {};
  const lines = table('Top level', schema, defs);
  for (const [name, def] of Object.entries(defs)) {
    const variants = def.anyOf ?? def.oneOf;
    if (!variants) {
      lines.push(...table(name, def, defs));
      continue;
    }
    for (const v of variants) {
      const kind = v.properties?.type?.const ?? v.properties?.type?.enum?.join('/');
      lines.push(...table(`${name}${kind !== undefined ? `: type ${String(kind)}` : ''}`, v, defs));
    }
  }
  return lines.join('\n');
}
