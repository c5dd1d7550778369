// The JSON Schema of the config file, generated from the zod model so editors (via
// yaml-language-server) validate and complete exactly what lvsd accepts. It describes the
// YAML as written (durations as strings, nodes: as written), not the loaded form.
import * as z from 'zod';
import { fileSchema } from './nodes-schema.js';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(fileSchema(), { io: 'input', target: 'draft-7', unrepresentable: 'throw' });
  // A file names its node (node:) or its nodes (nodes:), the loader refuses both together.
  return { ...schema, title: 'lvsd configuration', anyOf: [{ required: ['node'] }, { required: ['nodes'] }] };
}

/** The exact text of examples/lvsd.schema.json. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
