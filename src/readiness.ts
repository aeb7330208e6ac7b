import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Services } from './app.ts';
import { connectionSecret, keyFingerprint } from './connections/secrets.ts';
import { migrationsCurrent } from './db/migrate.ts';
import { connectionKeyMatches } from './persist/connection-key.ts';

/**
 * What keeps this process from doing its work, by name only (database, migrations, connection
 * key, home): empty when it is ready. Never the error text: the answer may face the internet.
 */
export async function readinessProblems(services: Pick<Services, 'config' | 'db'>): Promise<string[]> {
  const { config, db } = services;
  const problems: string[] = [];
  const reachable = await db.query('select 1').then(
    () => true,
    () => false,
  );
  if (!reachable) return ['database'];
  if (!(await migrationsCurrent(db).catch(() => false))) problems.push('migrations');
  if (!(await connectionKeyMatches(db, keyFingerprint(connectionSecret(config))).catch(() => false)))
    problems.push('connection key');
  if (
    !(await access(config.home, constants.W_OK).then(
      () => true,
      () => false,
    ))
  )
    problems.push('home');
  return problems;
}
