/** Reading the raw configuration (file, environment, overrides) into checked values, naming every problem. */

/** Environment variables that override a configuration key (dotted path). */
export const environmentKeys: Record<string, string> = {
  INTAKE_HOME: 'home',
  DATABASE_URL: 'databaseUrl',
  INTAKE_EMBEDDED_PG_PORT: 'embeddedPostgresPort',
  INTAKE_LOG_LEVEL: 'logLevel',
  INTAKE_LOG_FOLDER: 'logFolder',
  INTAKE_ROLES: 'roles',
  INTAKE_STABLE_MS: 'watch.stableMs',
  INTAKE_POLL_MS: 'watch.pollMs',
  INTAKE_USE_POLLING: 'watch.usePolling',
  INTAKE_INCOMPLETE_LINE_STABLE_MS: 'watch.incompleteLineStableMs',
  INTAKE_RESCAN_SECONDS: 'watch.rescanSeconds',
  INTAKE_CHECK_OPEN_WRITERS: 'watch.checkOpenWriters',
  INTAKE_DONE_MARKER_AUTHORITIES: 'watch.doneMarkerAuthorities',
  INTAKE_CHUNK_ROWS: 'processing.chunkRows',
  INTAKE_MAX_RECORD_BYTES: 'processing.maxRecordBytes',
  INTAKE_LEASE_SECONDS: 'processing.leaseSeconds',
  INTAKE_WORKERS: 'processing.workers',
  INTAKE_POLLING_INTERVAL_SECONDS: 'processing.pollingIntervalSeconds',
  INTAKE_SHUTDOWN_SECONDS: 'processing.shutdownSeconds',
  INTAKE_LAST_ENROLMENT_MONTHS: 'rules.lastEnrolmentMonths',
  INTAKE_RECENT_ENROLMENT_MONTHS: 'rules.recentEnrolmentMonths',
  INTAKE_CREATION_ASSOCIATION_MONTHS: 'rules.creationAssociationMonths',
  INTAKE_ASN_FIRST: 'asnRange.first',
  INTAKE_ASN_LAST: 'asnRange.last',
  INTAKE_CONNECTION_SECRET: 'connections.secret',
  INTAKE_CONNECTION_EXPIRY_DAYS: 'connections.expiryDays',
  INTAKE_MAX_PIN_ATTEMPTS: 'connections.maxPinAttempts',
  INTAKE_PIN_LOCK_MINUTES: 'connections.lockMinutes',
  INTAKE_MAX_PIN_LOCKOUTS: 'connections.maxLockouts',
  INTAKE_LETTERS_MAX_PAGES: 'letters.maxPagesPerPdf',
  INTAKE_SMTP_URL: 'mail.smtpUrl',
  INTAKE_MAIL_FROM: 'mail.from',
  INTAKE_ACTIVATION_URL: 'mail.activationUrl',
  INTAKE_MAIL_RETRY_DELAY_SECONDS: 'mail.retryDelaySeconds',
  INTAKE_HTTP_HOST: 'server.host',
  INTAKE_HTTP_PORT: 'server.port',
  INTAKE_SESSION_HOURS: 'server.sessionHours',
  INTAKE_SECURE_COOKIES: 'server.secureCookies',
  INTAKE_TRUSTED_PROXIES: 'server.trustedProxies',
  INTAKE_ACTIVATION_HOST: 'activationServer.host',
  INTAKE_ACTIVATION_PORT: 'activationServer.port',
  INTAKE_OPERATOR_ENABLED: 'operatorServer.enabled',
  INTAKE_OPERATOR_HOST: 'operatorServer.host',
  INTAKE_OPERATOR_PORT: 'operatorServer.port',
  INTAKE_RETENTION_ARCHIVE_DAYS: 'retention.archiveDays',
  INTAKE_RETENTION_FAILED_DAYS: 'retention.failedDays',
  INTAKE_RETENTION_OUTBOX_DAYS: 'retention.outboxDays',
  INTAKE_RETENTION_MAIL_DAYS: 'retention.mailDays',
  INTAKE_RETENTION_LETTER_GRACE_DAYS: 'retention.letterGraceDays',
  INTAKE_CLAIM_MINUTES: 'queue.claimMinutes',
};

export type Raw = Record<string, unknown>;

export function setPath(target: Raw, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Raw;
  }
  node[keys[keys.length - 1] as string] = value;
}

export class Reader {
  readonly problems: string[] = [];
  constructor(private readonly raw: Raw) {}

  private get(dotted: string): unknown {
    let node: unknown = this.raw;
    for (const key of dotted.split('.'))
      node = typeof node === 'object' && node !== null ? (node as Raw)[key] : undefined;
    return node;
  }

  /** The value as given, for a setting with a shape of its own (activationServer.providers). */
  value(dotted: string): unknown {
    return this.get(dotted);
  }

  integer(dotted: string, min: number, max: number): number {
    const value = this.get(dotted);
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
      this.problems.push(`${dotted}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
      return min;
    }
    return number;
  }

  text(dotted: string): string {
    const value = this.get(dotted);
    if (typeof value !== 'string' || value.trim() === '') {
      this.problems.push(`${dotted}: expected a non-empty text, got ${JSON.stringify(value)}`);
      return '';
    }
    return value;
  }

  optionalText(dotted: string): string | null {
    const value = this.get(dotted);
    if (value === null || value === undefined || value === '') return null;
    return this.text(dotted);
  }

  /** true/false, or "true"/"false" from the environment; null when not set. */
  optionalBoolean(dotted: string): boolean | null {
    const value = this.get(dotted);
    if (value === null || value === undefined || value === '') return null;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    this.problems.push(`${dotted}: expected true or false, got ${JSON.stringify(value)}`);
    return null;
  }

  /** A list of texts, or one comma-separated text from the environment. */
  textList(dotted: string): string[] {
    const value = this.get(dotted);
    const items =
      typeof value === 'string'
        ? value
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '')
        : value;
    if (!Array.isArray(items) || !items.every((item) => typeof item === 'string' && item !== '')) {
      this.problems.push(`${dotted}: expected a list of texts, got ${JSON.stringify(value)}`);
      return [];
    }
    return items as string[];
  }

  /** Some of `choices` (a list, or comma-separated from the environment), each once; at least one. */
  choices<T extends string>(dotted: string, choices: readonly T[]): T[] {
    const items = this.textList(dotted);
    const unknown = items.filter((item) => !choices.includes(item as T));
    if (unknown.length > 0 || items.length === 0) {
      this.problems.push(`${dotted}: expected some of ${choices.join(', ')}, got ${JSON.stringify(items)}`);
      return [...choices];
    }
    return [...new Set(items as T[])];
  }

  choice<T extends string>(dotted: string, choices: readonly T[]): T {
    const value = this.get(dotted);
    if (!choices.includes(value as T)) {
      this.problems.push(`${dotted}: expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
      return choices[0] as T;
    }
    return value as T;
  }
}
