// `lvsd schema`: the JSON Schema of the config file, for editors and CI linters.
import type { Command } from 'commander';

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .summary('print the JSON Schema of the configuration file')
    .description('Print the JSON Schema of the configuration file. Point your editor at it (yaml-language-server: "# yaml-language-server: $schema=./lvsd.schema.json") for completion and inline errors.')
    .option('--markdown', 'print the configuration reference as Markdown tables (the one in README.md)')
    .action(async (opts: { markdown?: boolean }) => {
      if (opts.markdown) {
        const { configReferenceMarkdown } = await import('../../config/reference.js');
        process.stdout.write(`${configReferenceMarkdown()}\n`);
        return;
      }
      const { configJsonSchemaText } = await import('../../config/json-schema.js');
      process.stdout.write(configJsonSchemaText());
    });
}
