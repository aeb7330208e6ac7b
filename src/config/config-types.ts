/** Parts of the configuration (`src/config/config.ts`) that modules take on their own. */

export interface Listener {
  host: string;
  /** 0: any free port (tests). */
  port: number;
}

/** Days after which each kind of kept file is removed (docs/operations.md §4). */
export interface RetentionSettings {
  archiveDays: number;
  failedDays: number;
  /** Reports, notes, decisions files and connection listings in the authorities' outbox folders. */
  outboxDays: number;
  /** `.eml` files written when no SMTP server is configured. */
  mailDays: number;
  /**
   * Letters hold PINs in clear: removed this long after every request in them has expired, been activated or deleted.
   */
  letterGraceDays: number;
  /** When the scheduler runs the purge (cron, the province's time zone). */
  schedule: string;
}

/** When a file in the inbox is complete: see docs/file-arrival.md. */
export interface WatchSettings {
  /** A file must stay unchanged this long before it is taken. */
  stableMs: number;
  /** The same for a CSV whose last line has no line end yet (a writer stopped mid-row, most likely). */
  incompleteLineStableMs: number;
  pollMs: number;
  /** chokidar polls the inbox (every `pollMs`) instead of listening for events: for shared volumes. */
  usePolling: boolean;
  /** Every so often the whole inbox is walked: files missed by events or left for a reason since put right. */
  rescanSeconds: number;
  /** A file some process still holds open for writing is not taken (local disks; see docs). */
  checkOpenWriters: boolean;
  /** Names that writers use while a file is incomplete; such files are never taken. */
  temporaryPrefixes: string[];
  temporarySuffixes: string[];
  /** Finished files are watched this long for a writer that went on after their report. */
  lateWriteMinutes: number;
  /** Authorities whose files are taken only once `<name>.done` is written beside them. */
  doneMarkerAuthorities: string[];
}
