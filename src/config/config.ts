import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import { environmentKeys, type Raw, Reader, setPath } from './config-reader.ts';
import type { Listener, RetentionSettings, WatchSettings } from './config-types.ts';
import { type Role, roles } from './roles.ts';
import { providersFromEnvironment, readSignInProviders, type SignInProvider } from './sign-in-providers.ts';

export interface Config {
  home: string;
  databaseUrl: string | null;
  embeddedPostgresPort: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Where this machine's log goes; null: `<home>/log`. Machines sharing a home each keep their own. */
  logFolder: string | null;
  /** What `intake start` runs in this process. */
  roles: Role[];
  watch: WatchSettings;
  processing: {
    chunkRows: number;
    maxRecordBytes: number;
    xmlMaxDepth: number;
    leaseSeconds: number;
    workers: number;
    pollingIntervalSeconds: number;
    /** How long a stop waits for the chunk in hand before leaving it to the lease. */
    shutdownSeconds: number;
  };
  rules: {
    lastEnrolmentMonths: number;
    recentEnrolmentMonths: number;
    creationAssociationMonths: number;
    earliestBirthYear: number;
  };
  asnRange: { first: number; last: number };
  connections: {
    /** Key of the PIN hashes; null: generated once under the home folder. */
    secret: string | null;
    expiryDays: number;
    maxPinAttempts: number;
    lockMinutes: number;
    /** Lockouts after which a PIN stays locked until the school resets it. */
    maxLockouts: number;
    /** How often the expiry job runs (cron). */
    expirySchedule: string;
    /** When each authority's connections listing and changes file are written (cron). */
    listingSchedule: string;
  };
  letters: { maxPagesPerPdf: number };
  mail: {
    /** smtp:// or smtps:// URL; null: messages are written as .eml files to outbox/mail. */
    smtpUrl: string | null;
    from: string;
    /** Where the activation page is served; the email's link points there. */
    activationUrl: string;
    maxConnections: number;
    batchSize: number;
    /** Between tries of an email the server refused or could not take; tried until its request expires. */
    retryDelaySeconds: number;
  };
  /** The staff console's listener (role `console`), and what every listener shares. */
  server: {
    host: string;
    /** 0: any free port (tests). */
    port: number;
    sessionHours: number;
    /** Cookies marked Secure; by default when the activation URL is https (behind TLS). */
    secureCookies: boolean;
    /**
     * Failed sign-ins per account, or per client address, within `signInWindowMinutes` before each further attempt is
     * slowed down.
     */
    maxSignInFailures: number;
    /** Proxies (addresses) whose X-Forwarded-For names the client; nobody else's is believed. */
    trustedProxies: string[];
    /** Sign-in and activation forms one client address may send per minute. */
    publicPostsPerMinute: number;
    signInWindowMinutes: number;
  };
  /** The recipients' activation page (role `activation`): a listener of its own, fit to face the internet. */
  activationServer: Listener & {
    /** Where people sign in before the PIN (OpenID Connect); the page does not start without one. */
    providers: SignInProvider[];
  };
  /** `/metrics` for Prometheus, with the health checks: off unless enabled, on an internal address. */
  operatorServer: Listener & { enabled: boolean };
  /** How long what Intake keeps on disk is kept (`intake files purge`, and the scheduler's nightly run). */
  retention: RetentionSettings;
  /** Student Records' queue of referred rows. */
  queue: {
    /** A claim not resolved within this time returns the item to the queue. */
    claimMinutes: number;
    pageSize: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Reads `config/default.json`, then applies environment overrides and explicit overrides
 * (command-line options), and validates everything at once.
 */
export function loadConfig(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const raw = JSON.parse(readFileSync(path.join(projectRoot, 'config/default.json'), 'utf8')) as Raw;
  for (const [variable, dotted] of Object.entries(environmentKeys)) {
    const value = env[variable];
    if (value !== undefined && value !== '') setPath(raw, dotted, value);
  }
  const providerProblems = providersFromEnvironment(raw, env);
  for (const [dotted, value] of Object.entries(overrides)) if (value !== undefined) setPath(raw, dotted, value);

  const read = new Reader(raw);
  // The default home is the checkout's var/; a home given on the command line or in the
  // environment is taken from where the command runs.
  const homeGiven = overrides.home !== undefined || (env.INTAKE_HOME ?? '') !== '';
  const config: Config = {
    home: path.resolve(homeGiven ? process.cwd() : projectRoot, read.text('home')),
    databaseUrl: read.optionalText('databaseUrl'),
    embeddedPostgresPort: read.integer('embeddedPostgresPort', 1024, 65535),
    logLevel: read.choice('logLevel', ['info', 'error', 'warn', 'debug'] as const),
    logFolder: null,
    roles: [],
    watch: {
      stableMs: read.integer('watch.stableMs', 0, 3_600_000),
      incompleteLineStableMs: read.integer('watch.incompleteLineStableMs', 0, 86_400_000),
      pollMs: read.integer('watch.pollMs', 10, 60_000),
      usePolling: read.optionalBoolean('watch.usePolling') ?? false,
      rescanSeconds: read.integer('watch.rescanSeconds', 1, 86_400),
      checkOpenWriters: read.optionalBoolean('watch.checkOpenWriters') ?? true,
      temporaryPrefixes: read.textList('watch.temporaryPrefixes'),
      temporarySuffixes: read.textList('watch.temporarySuffixes').map((suffix) => suffix.toLowerCase()),
      doneMarkerAuthorities: read.textList('watch.doneMarkerAuthorities'),
      lateWriteMinutes: read.integer('watch.lateWriteMinutes', 0, 10_080),
    },
    processing: {
      chunkRows: read.integer('processing.chunkRows', 1, 100_000),
      maxRecordBytes: read.integer('processing.maxRecordBytes', 256, 10_000_000),
      xmlMaxDepth: read.integer('processing.xmlMaxDepth', 2, 64),
      leaseSeconds: read.integer('processing.leaseSeconds', 1, 86_400),
      workers: read.integer('processing.workers', 1, 64),
      pollingIntervalSeconds: read.integer('processing.pollingIntervalSeconds', 1, 3600),
      shutdownSeconds: read.integer('processing.shutdownSeconds', 1, 3600),
    },
    rules: {
      lastEnrolmentMonths: read.integer('rules.lastEnrolmentMonths', 0, 120),
      recentEnrolmentMonths: read.integer('rules.recentEnrolmentMonths', 0, 120),
      creationAssociationMonths: read.integer('rules.creationAssociationMonths', 0, 240),
      earliestBirthYear: read.integer('rules.earliestBirthYear', 1800, 2100),
    },
    asnRange: {
      first: read.integer('asnRange.first', 100000000, 999999999),
      last: read.integer('asnRange.last', 100000000, 999999999),
    },
    connections: {
      secret: read.optionalText('connections.secret'),
      expiryDays: read.integer('connections.expiryDays', 1, 365),
      maxPinAttempts: read.integer('connections.maxPinAttempts', 1, 100),
      lockMinutes: read.integer('connections.lockMinutes', 1, 10_080),
      maxLockouts: read.integer('connections.maxLockouts', 1, 100),
      expirySchedule: read.text('connections.expirySchedule'),
      listingSchedule: read.text('connections.listingSchedule'),
    },
    letters: { maxPagesPerPdf: read.integer('letters.maxPagesPerPdf', 2, 100_000) },
    mail: {
      smtpUrl: read.optionalText('mail.smtpUrl'),
      from: read.text('mail.from'),
      activationUrl: read.optionalText('mail.activationUrl') ?? '',
      maxConnections: read.integer('mail.maxConnections', 1, 100),
      batchSize: read.integer('mail.batchSize', 1, 1000),
      retryDelaySeconds: read.integer('mail.retryDelaySeconds', 1, 86_400),
    },
    server: {
      host: read.text('server.host'),
      port: read.integer('server.port', 0, 65535),
      sessionHours: read.integer('server.sessionHours', 1, 168),
      secureCookies: false,
      maxSignInFailures: read.integer('server.maxSignInFailures', 1, 1000),
      trustedProxies: read.textList('server.trustedProxies'),
      publicPostsPerMinute: read.integer('server.publicPostsPerMinute', 1, 10_000),
      signInWindowMinutes: read.integer('server.signInWindowMinutes', 1, 1440),
    },
    activationServer: {
      host: read.text('activationServer.host'),
      port: read.integer('activationServer.port', 0, 65535),
      providers: readSignInProviders(read, providerProblems),
    },
    operatorServer: {
      enabled: read.optionalBoolean('operatorServer.enabled') ?? false,
      host: read.text('operatorServer.host'),
      port: read.integer('operatorServer.port', 0, 65535),
    },
    retention: {
      archiveDays: read.integer('retention.archiveDays', 1, 36_500),
      failedDays: read.integer('retention.failedDays', 1, 36_500),
      outboxDays: read.integer('retention.outboxDays', 1, 36_500),
      mailDays: read.integer('retention.mailDays', 1, 36_500),
      letterGraceDays: read.integer('retention.letterGraceDays', 0, 3650),
      schedule: read.text('retention.schedule'),
    },
    queue: {
      claimMinutes: read.integer('queue.claimMinutes', 1, 10_080),
      pageSize: read.integer('queue.pageSize', 5, 500),
    },
  };
  const logFolder = read.optionalText('logFolder');
  config.logFolder = logFolder === null ? null : path.resolve(logFolder);
  // Not given: every role, the activation page once a provider to sign in with is configured (a
  // page without one would take anyone's word for an account). Given: exactly those, and the
  // activation page without a provider stops the start, saying why.
  config.roles =
    raw.roles === null || raw.roles === undefined
      ? roles.filter((role) => role !== 'activation' || config.activationServer.providers.length > 0)
      : read.choices('roles', roles);
  // By default the email links to this machine's own activation listener.
  if (config.mail.activationUrl === '') config.mail.activationUrl = `${listenerUrl(config.activationServer)}/activate`;
  config.server.secureCookies =
    read.optionalBoolean('server.secureCookies') ?? config.mail.activationUrl.startsWith('https://');
  if (config.connections.secret !== null && config.connections.secret.length < 32) {
    read.problems.push('connections.secret (INTAKE_CONNECTION_SECRET): expected at least 32 characters');
  }
  if (config.mail.smtpUrl !== null && !/^smtps?:\/\//.test(config.mail.smtpUrl)) {
    read.problems.push('mail.smtpUrl (INTAKE_SMTP_URL): expected an smtp:// or smtps:// URL');
  }
  if (!/^https?:\/\//.test(config.mail.activationUrl))
    read.problems.push('mail.activationUrl (INTAKE_ACTIVATION_URL): expected an http:// or https:// URL');
  if (config.databaseUrl !== null && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    read.problems.push('databaseUrl (DATABASE_URL): expected a postgres:// connection string');
  }
  if (config.watch.incompleteLineStableMs < config.watch.stableMs) {
    read.problems.push(
      'watch.incompleteLineStableMs: expected at least watch.stableMs (a file cut mid-row waits longer, not less)',
    );
  }
  for (const code of config.watch.doneMarkerAuthorities) {
    if (!/^A\.\d{4}$/.test(code))
      read.problems.push(`watch.doneMarkerAuthorities: "${code}" is not an authority code (A.NNNN)`);
  }
  if (config.asnRange.first > config.asnRange.last) read.problems.push('asnRange: first must not be greater than last');
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

/** How a listener is reached from this machine: a wildcard address is reached on the loopback. */
function listenerUrl(listener: Listener): string {
  const host = ['0.0.0.0', '::', ''].includes(listener.host)
    ? '127.0.0.1'
    : listener.host.includes(':')
      ? `[${listener.host}]`
      : listener.host;
  return `http://${host}:${listener.port}`;
}

export const paths = {
  inbox: (config: Config) => path.join(config.home, 'inbox'),
  claimed: (config: Config) => path.join(config.home, 'claimed'),
  archive: (config: Config) => path.join(config.home, 'archive'),
  failed: (config: Config) => path.join(config.home, 'failed'),
  outbox: (config: Config) => path.join(config.home, 'outbox'),
  logs: (config: Config) => config.logFolder ?? path.join(config.home, 'log'),
  embeddedData: (config: Config) => path.join(config.home, 'pgdata'),
  mailOutbox: (config: Config) => path.join(config.home, 'outbox', 'mail'),
};
