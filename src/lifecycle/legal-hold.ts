import type { LegalHold } from '../config/schema.js';
import type { Day } from '../layout/day.js';

/** The hold that forbids purging this day, if any. */
export function holdFor(holds: readonly LegalHold[], dataset: string, day: Day): LegalHold | undefined {
  return holds.find((h) => {
    if (h.dataset !== undefined && h.dataset !== dataset) return false;
    if (h.day !== undefined) return h.day === day;
    return (h.from === undefined || h.from <= day) && (h.to === undefined || day <= h.to);
  });
}
