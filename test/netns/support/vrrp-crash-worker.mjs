// Test-only VRRP worker (daemon-node.mjs crash-vrrp): the real worker, plus an error nobody
// catches LVSD_TEST_VRRP_THROW_MS after it starts, to prove what the thread's crash handler does.
import '../../../dist/daemon/vrrp-worker.js';

setTimeout(() => {
  throw new Error('injected failure in the VRRP thread');
}, Number(process.env.LVSD_TEST_VRRP_THROW_MS ?? 3000));
