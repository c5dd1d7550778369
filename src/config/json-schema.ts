// The JSON Schema of the config file, generated from the zod model so editors (via
// yaml-language-server) validate and complete exactly what lvsd accepts. It describes the
// YAML as written (durations as strings), not the loaded form.
import * as z from 'zod';
import { configSchema } from './schema.js';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-7', unrepresentable: 'throw' });
  return { ...schema, title: 'lvsd configuration' };
}

/** The exact text of examples/lvsd.schema.json. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
