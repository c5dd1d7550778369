// Telling systemd how the service is doing (sd_notify(3), `Type=notify` in
// examples/lvsd.service): READY=1 once services and VRRP run, STOPPING=1 when the graceful stop
// begins, so `systemctl start` returns when lvsd really serves and `systemctl stop` shows the
// hand-over. systemd names its socket in $NOTIFY_SOCKET; without it (run by hand, in tests,
// under another supervisor) every call does nothing. Sending never throws: a lost status
// message must not stop the daemon; the caller gets the error to log.
import { native } from './native.js';

export type SdNotifyResult = { sent: boolean; error?: Error };

/** Sends `state` ("READY=1", "STOPPING=1", "STATUS=..." lines) to $NOTIFY_SOCKET, if set. */
export function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): SdNotifyResult {
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return { sent: false };
  try {
    native().sdNotify(socket, state);
    return { sent: true };
  } catch (err) {
    return { sent: false, error: err as Error };
  }
}
