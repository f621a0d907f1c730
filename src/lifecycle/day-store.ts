import type { Clock } from '../clock.js';
import type { Day } from '../layout/day.js';
import { dayKey, type TierDirs } from '../layout/tiers.js';
import { appendAudit, type AuditEvent } from '../store/audit.js';
import { writeMetadata } from '../store/metadata.js';
import { faultPoint } from '../fault.js';
import type { DayRecord, DayState, Metadata } from '../store/metadata-types.js';

/**
 * Metadata in memory plus the audit trail, for one run that holds the tree lock. Every change is written at once
 * (atomic metadata write, fsynced audit line), in the order of DESIGN section 3: metadata, then audit.
 */
export class DayStore {
  constructor(
    readonly dirs: TierDirs,
    readonly metadata: Metadata,
    private readonly clock: Clock,
  ) {}

  get(dataset: string, day: Day): DayRecord | undefined {
    return this.metadata.days[dayKey(dataset, day)];
  }

  /** The record of a day, created as `live` if new. */
  ensure(dataset: string, day: Day): DayRecord {
    const key = dayKey(dataset, day);
    let rec = this.metadata.days[key];
    if (rec === undefined) {
      rec = { dataset, day, state: 'live' };
      this.metadata.days[key] = rec;
    }
    return rec;
  }

  /** Applies `patch` (undefined values delete fields) and writes the metadata. */
  async update(dataset: string, day: Day, patch: Partial<DayRecord>): Promise<DayRecord> {
    const rec = this.ensure(dataset, day);
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete (rec as unknown as Record<string, unknown>)[k];
      else (rec as unknown as Record<string, unknown>)[k] = v;
    }
    await this.save();
    return rec;
  }

  async audit(event: AuditEvent): Promise<void> {
    this.metadata.audit = await appendAudit(this.dirs, this.metadata.audit, event, this.clock.now());
  }

  /** A state change: metadata first, then the audit line, then metadata again with the new audit checkpoint. */
  async transition(dataset: string, day: Day, patch: Partial<DayRecord>, event: AuditEvent): Promise<DayRecord> {
    const rec = await this.update(dataset, day, patch);
    await this.audit({ dataset, day, ...event });
    faultPoint('audit:after-append');
    await this.save();
    return rec;
  }

  async quarantine(dataset: string, day: Day, path: string, reason: string): Promise<void> {
    const rec = this.ensure(dataset, day);
    const previousState: DayState = rec.state === 'quarantined' ? (rec.quarantine?.previousState ?? 'live') : rec.state;
    await this.transition(
      dataset,
      day,
      { state: 'quarantined', quarantine: { reason, path, at: this.clock.now().toISOString(), previousState } },
      { event: 'quarantined', path, reason },
    );
  }

  async save(): Promise<void> {
    await writeMetadata(this.dirs, this.metadata, this.clock.now());
  }
}
