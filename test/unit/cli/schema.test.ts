import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchemaText as schemaText } from '../../../src/config/json-schema.js';
import { configReferenceMarkdown } from '../../../src/config/reference.js';
import { CHECK_TYPES, SCHEDULERS } from '../../../src/config/schema.js';

const committed = fileURLToPath(new URL('../../../examples/lvsd.schema.json', import.meta.url));

describe('lvsd schema', () => {
  it('matches the committed examples/lvsd.schema.json (regenerate with: lvsd schema > examples/lvsd.schema.json)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(schemaText());
  });

  it('describes the YAML as written: durations are strings, unknown keys refused, enums listed', () => {
    const schema = JSON.parse(schemaText()) as {
      additionalProperties: boolean;
      required?: string[];
      anyOf: unknown[];
      properties: Record<string, { properties?: Record<string, unknown>; items?: { properties?: Record<string, { enum?: string[]; type?: string; default?: unknown }> } }>;
      definitions: { Check: { oneOf: { properties: { type: { const: string } } }[] } };
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toBeUndefined();
    expect(schema.anyOf).toEqual([{ required: ['node'] }, { required: ['nodes'] }]);
    const service = schema.properties.services?.items?.properties ?? {};
    expect(service.scheduler?.enum).toEqual([...SCHEDULERS]);
    expect(service.persistence).toMatchObject({ type: 'string', default: '0s' });
    expect(schema.definitions.Check.oneOf.map((o) => o.properties.type.const)).toEqual([...CHECK_TYPES]);
  });
});

describe('README configuration reference', () => {
  it('is the one generated from the schema (lvsd schema --markdown)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = /<!-- config-reference:start -->\n([\s\S]*?)\n<!-- config-reference:end -->/.exec(readme)?.[1];
    expect(section).toBe(configReferenceMarkdown());
  });
});
