// `lvsd run`: the daemon in the foreground (systemd runs it so). SIGHUP reloads the config,
// SIGTERM and SIGINT stop gracefully.
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../config/paths.js';
import type { Daemon } from '../../daemon/daemon.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .summary('run the daemon: IPVS, health checks and VRRP')
    .description(
      'Run lvsd in the foreground. The kernel\'s existing IPVS state is adopted, never flushed. ' +
        'SIGHUP (or "lvsd reload") re-reads the config: a bad file is reported and changes nothing. ' +
        'SIGTERM hands VRRP mastership over (priority 0) and removes the VIPs; IPVS rules stay unless ipvs.remove_on_exit.',
    )
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG_PATH)
    .option('--log-level <level>', 'trace, debug, info, warn or error (overrides logging.level)')
    .action(async (opts: { config: string; logLevel?: string }) => {
      const [{ ConfigRejected, Daemon }, { createLogger }] = await Promise.all([import('../../daemon/daemon.js'), import('../../daemon/log.js')]);
      const log = createLogger({ level: (opts.logLevel ?? 'info') as 'info' });
      let daemon: Daemon;
      try {
        daemon = await Daemon.start({ configPath: opts.config, log });
      } catch (err) {
        if (err instanceof ConfigRejected) {
          for (const issue of err.issues) process.stderr.write(`${issue.file}:${issue.line}:${issue.col}: ${issue.message}\n`);
          process.stderr.write(`${err.file}: configuration rejected, lvsd not started\n`);
        } else {
          log.fatal({ err }, 'lvsd could not start');
        }
        process.exitCode = 1;
        return;
      }
      if (opts.logLevel === undefined) log.level = daemon.config.logging.level;
      process.on('SIGHUP', () => void daemon.reload());
      const stop = (signal: string): void => {
        log.info({ signal }, 'stopping');
        daemon.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'stop failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
