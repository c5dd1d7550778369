// Rules for the resolver section (schema-resolve.ts): settings that contradict each other.
import { formatDuration } from '../duration.js';
import type { Rule } from './context.js';

/** A floor above the ceiling leaves no refresh time that honours both. */
const floorBelowCeiling: Rule = (ctx) => {
  const { ttl_floor: floor, ttl_ceiling: ceiling } = ctx.config.resolver;
  if (floor > ceiling) {
    ctx.error(['resolver', 'ttl_floor'], `${formatDuration(floor)} is above ttl_ceiling ${formatDuration(ceiling)}, expected ttl_floor <= ttl_ceiling`);
  }
};

export const resolveRules: readonly Rule[] = [floorBelowCeiling];
