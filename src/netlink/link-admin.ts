// Bringing a link administratively up or down (RTM_SETLINK with IFF_UP in ifi_change), for the
// tunnel device a TUN real server decapsulates on. Opens its socket in the current network namespace.
import { toKernelError } from './errors.js';
import { RtSocket } from './rt-socket.js';

export async function setLinkUp(ifindex: number, up: boolean, ifname = `#${ifindex}`): Promise<void> {
  const socket = new RtSocket();
  try {
    // ifi_change masks which flags the request touches, so only IFF_UP changes.
    await socket.request(() => socket.rt.setLink({ index: ifindex, flags: up ? { up: true } : {}, change: { up: true } }));
  } catch (err) {
    throw toKernelError(err, `set ${ifname} ${up ? 'up' : 'down'}`);
  } finally {
    socket.close();
  }
}
