// Names the command line needs before any real-server code is loaded.

export const DEFAULT_STATE_FILE = '/run/lvsd/realserver.json';

/** Every check passed / something failed / the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
