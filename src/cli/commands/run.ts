// `lvsd run`: the daemon in the foreground (systemd runs it so). SIGHUP reloads the config,
// SIGTERM and SIGINT stop gracefully; what each does during start and stop is daemon/signals.ts.
// An error nobody caught releases the VIPs (priority 0 from the VRRP thread) and exits non-zero,
// for systemd to restart the daemon (daemon/crash-exit.ts).
// Under systemd (Type=notify) READY=1 goes out once services and VRRP run, STOPPING=1 when the
// stop begins. The status page (src/web) is served beside /metrics.
import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../config/paths.js';
import type { Daemon } from '../../daemon/daemon.js';
import type { Logger } from '../../daemon/log.js';
import { SignalPolicy, type SignalAction } from '../../daemon/signals.js';
import { sdNotify } from '../../kernel/sd-notify.js';
import { addNodeOption, chooseNode } from '../node-option.js';

/** A status for systemd; losing one is logged, never fatal. */
function sdNotifyOrWarn(log: Logger | undefined, state: string): void {
  const { error } = sdNotify(state);
  if (error) log?.warn({ err: error, state }, 'cannot send a status to systemd (NOTIFY_SOCKET)');
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .summary('run the daemon: IPVS, health checks and VRRP')
    .description(
      'Run lvsd in the foreground. The kernel\'s existing IPVS state is adopted, never flushed. ' +
        'SIGHUP (or "lvsd reload") re-reads the config: a bad file is reported and changes nothing. ' +
        'SIGTERM hands VRRP mastership over (priority 0) and removes the VIPs; IPVS rules stay unless ipvs.remove_on_exit.',
    )
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG_PATH)
    .option('--log-level <level>', 'trace, debug, info, warn or error (overrides logging.level)');
  addNodeOption(command, 'the host name')
    .action(async (opts: { config: string; logLevel?: string; node?: string }) => {
      // After the start's burst V8 lets the heap grow to several times what stays live (10,000
      // services x 4 on the host: 78 MB live, 190 MB heap, 300 MB RSS). Growing it by 20 % per
      // major GC instead keeps the daemon's RSS about 70 MB lower, for a major GC per ~20 MB
      // allocated (test/bench/ipvs-daemon-rss.mjs). The flag is V8's own, read at every GC.
      setFlagsFromString('--heap-growing-percent=20');
      // Installed first: without a handler SIGHUP and SIGTERM kill the process, also during start.
      const policy = new SignalPolicy();
      const aborter = new AbortController();
      let daemon: Daemon | undefined;
      let log: Logger | undefined;
      const act = (action: SignalAction): void => {
        switch (action.kind) {
          case 'queued':
            log?.info('SIGHUP during start: the reload runs when start is done');
            return;
          case 'abort-start':
            log?.info({ signal: action.signal }, 'stopping after the start step in progress');
            aborter.abort();
            return;
          case 'reload':
            void daemon?.reload();
            return;
          case 'ignored':
            log?.info(action.reason);
            return;
          case 'stop':
            log?.info({ signal: action.signal }, 'stopping');
            sdNotifyOrWarn(log, 'STOPPING=1\nSTATUS=handing over and stopping');
            (daemon as Daemon).stop().then(
              () => process.exit(0),
              (err: unknown) => {
                log?.error({ err }, 'stop failed');
                process.exit(1);
              },
            );
        }
      };
      for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.on(signal, () => act(policy.on(signal)));
      const [{ Daemon, StartAborted }, { ConfigRejected }, { createLogger }, { exitOnCrash }, { statusPageRoutes }] = await Promise.all([
        import('../../daemon/daemon.js'),
        import('../../daemon/config-file.js'),
        import('../../daemon/log.js'),
        import('../../daemon/crash-exit.js'),
        import('../../web/routes.js'),
      ]);
      log = createLogger({ level: (opts.logLevel ?? 'info') as 'info' });
      exitOnCrash(log);
      try {
        daemon = await Daemon.start({ configPath: opts.config, node: chooseNode(opts.node, 'host name'), log, signal: aborter.signal, routes: (status) => statusPageRoutes(status) });
      } catch (err) {
        if (err instanceof StartAborted) {
          log.info('lvsd stopped during start');
          process.exit(0);
        }
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
      sdNotifyOrWarn(log, 'READY=1\nSTATUS=running');
      for (const action of policy.started()) act(action);
    });
}
