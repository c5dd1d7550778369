// `lvsd bgp-config`: the BIRD 2 configuration for BGP mode, generated from the bgp section
// (src/bgp/bird-config.ts). Validates the file first, like `lvsd check`.
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../config/paths.js';

export function registerBgpConfigCommand(program: Command): void {
  program
    .command('bgp-config')
    .summary('print the BIRD configuration for BGP mode')
    .description('Print the BIRD 2 configuration that announces this director\'s VIPs: the kernel table lvsd writes one route per announced VIP into, the BGP sessions to the peers with BFD, MED and communities. Include it from bird.conf, or use it as bird.conf. Exits 1 when the configuration is invalid or has no bgp section.')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG_PATH)
    .option('-o, --output <file>', 'write to this file instead of stdout (then check it with bird -p -c <file>)')
    .addHelpText('after', `
Examples:
  lvsd bgp-config -o /etc/bird/lvsd.conf && birdc configure   apply a changed bgp section
  lvsd bgp-config | bird -p -c /dev/stdin                     check it against the installed BIRD`)
    .action(async (opts: { config: string; output?: string }) => {
      const { writeFile } = await import('node:fs/promises');
      const { formatIssue } = await import('../../config/issues.js');
      const { loadConfigFile } = await import('../../config/load.js');
      const { announcedVipsOf } = await import('../../config/derived.js');
      const { familyOf } = await import('../../net/address.js');
      const { birdConfig } = await import('../../bgp/bird-config.js');
      const result = await loadConfigFile(opts.config);
      if (!result.ok) {
        for (const e of result.errors) process.stderr.write(`${formatIssue(e)}\n`);
        process.exitCode = 1;
        return;
      }
      const { bgp } = result.config;
      if (!bgp) {
        process.stderr.write(`${opts.config}: no bgp section, nothing to generate\n`);
        process.exitCode = 1;
        return;
      }
      const families = [...new Set(announcedVipsOf(result.config.services, bgp).map(familyOf))];
      const text = birdConfig(bgp, { families, source: opts.config });
      if (opts.output) await writeFile(opts.output, text);
      else process.stdout.write(text);
    });
}
