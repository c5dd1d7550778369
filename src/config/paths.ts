// Well-known paths, kept apart from the loader so the CLI can name them without loading it.

/** Where lvsd looks for its config when no -c is given. */
export const DEFAULT_CONFIG_PATH = '/etc/lvsd/lvsd.yaml';
