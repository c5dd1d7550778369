import { defineConfig } from 'vitest/config';

// Three suites: unit (no privileges), netns (root on the host kernel: namespaces, veth,
// raw sockets) and kernel (inside the lab VM, which has IPVS). `npm run test:kernel`
// boots the VM and runs the kernel project inside it.
export default defineConfig({
  test: {
    globals: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // One module graph per worker instead of one per file: the suite took half the time
          // (75 s against 155 s on the 2-core host). Unit tests restore what they patch.
          isolate: false,
          // Test traffic never leaves the machine: see the README's testing section.
          globalSetup: ['test/support/testnet-blackhole.ts'],
          setupFiles: ['test/support/testnet-guard.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'netns',
          include: ['test/netns/**/*.test.ts'],
          globalSetup: ['test/support/testnet-blackhole.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'kernel',
          include: ['test/kernel/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
