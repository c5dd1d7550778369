// `lvsd schema`: the JSON Schema of the config file, for editors and CI linters.
import type { Command } from 'commander';
import { configJsonSchema } from '../../config/json-schema.js';

/** The exact text of examples/lvsd.schema.json. */
export function schemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .summary('print the JSON Schema of the configuration file')
    .description('Print the JSON Schema of the configuration file. Point your editor at it (yaml-language-server: "# yaml-language-server: $schema=./lvsd.schema.json") for completion and inline errors.')
    .action(() => {
      process.stdout.write(schemaText());
    });
}
