import path from 'node:path';
import type { Services } from '../src/app.ts';
import { paths } from '../src/config/config.ts';
import { type WrittenFile, writeChangesFile, writeConnectionsFile } from '../src/connections/listing-files.ts';
import { ListingRefusedError, listingWindow, lockListing, recordListing } from '../src/connections/listing-queries.ts';
import { folders } from '../src/files/folders.ts';
import { loadReferenceCache, type ReferenceCache } from '../src/reference/reference-cache.ts';
import type { AuthorityFacts } from '../src/rules/facts.ts';
import { todayIn } from '../src/validate/dates.ts';
import { parseAuthorityCode, parseDate } from '../src/validate/values.ts';

/** One authority's listing of a day, as written. */
export interface ConnectionListing {
  authority: string;
  day: string;
  connectionsFile: string;
  changesFile: string;
  connections: number;
  changes: number;
  /** The changes file holds what happened after `changesFrom`, up to and including `changesUntil`. */
  changesFrom: Date;
  changesUntil: Date;
}

/** `outbox/<authority>/connections/`: where the authority reads who has access to its students. */
function listingFolder(services: Services, authorityCode: string): string {
  return path.join(folders.outbox(services.config, authorityCode), 'connections');
}

/**
 * Writes one authority's listing and changes files in one transaction, under a lock of its own:
 * both files get their names before the commit that records the listing, so a crash in between
 * tells a change twice rather than never.
 */
async function writeListing(
  services: Services,
  reference: ReferenceCache,
  authority: AuthorityFacts,
  day: string,
): Promise<ConnectionListing> {
  const { config, db } = services;
  const folder = listingFolder(services, authority.code);
  const connectionsFile = path.join(folder, `connections-${day}.csv`);
  const changesFile = path.join(folder, `changes-${day}.csv`);
  const scope = { authority, asOf: day, windows: config.rules, schools: reference.schoolAuthority };
  return db.transaction(async (client) => {
    await lockListing(client, authority.code);
    const window = await listingWindow(client, authority.code, day);
    const written: WrittenFile[] = [];
    try {
      const connections = await writeConnectionsFile(client, paths.outbox(config), connectionsFile, scope);
      written.push(connections);
      const changes = await writeChangesFile(client, paths.outbox(config), changesFile, scope, window);
      written.push(changes);
      await recordListing(client, {
        authorityCode: authority.code,
        day,
        ...window,
        connections: connections.rows,
        changes: changes.rows,
      });
      await connections.writer.commit();
      await changes.writer.commit();
      return {
        authority: authority.code,
        day,
        connectionsFile,
        changesFile,
        connections: connections.rows,
        changes: changes.rows,
        changesFrom: window.from,
        changesUntil: window.until,
      };
    } catch (error) {
      await Promise.all(written.map((file) => file.writer.abandon()));
      throw error;
    }
  });
}

/**
 * Writes `outbox/<A>/connections/connections-<day>.csv` and `changes-<day>.csv` for one
 * authority, or for every authority in the reference data (the scheduler's nightly run: an
 * authority whose files cannot be written, say a link planted in its outbox, is logged and the
 * others are still written). `day` (default: today in the province) names the files and is the
 * as-of date of the associations. Throws ListingRefusedError for an unknown authority or day.
 */
export async function writeConnectionListings(
  services: Services,
  options: { authority?: string; day?: string } = {},
): Promise<ConnectionListing[]> {
  const { db, logger } = services;
  const today = todayIn();
  const day = options.day ?? today;
  if (parseDate(day) === null || day > today) {
    throw new ListingRefusedError(`${day} is not a day that has come (YYYY-MM-DD, today ${today} at the latest).`);
  }
  const reference = await loadReferenceCache(db);
  if (options.authority !== undefined) {
    const code = parseAuthorityCode(options.authority);
    const authority = code === null ? undefined : reference.authorities.get(code);
    if (authority === undefined) {
      throw new ListingRefusedError(`${options.authority} is not an authority of the reference data.`);
    }
    return [await writeListing(services, reference, authority, day)];
  }
  const listings: ConnectionListing[] = [];
  for (const authority of [...reference.authorities.values()].sort((a, b) => a.code.localeCompare(b.code))) {
    try {
      listings.push(await writeListing(services, reference, authority, day));
    } catch (error) {
      logger.error('connections listing not written; the next run writes it with every change since the last one', {
        authority: authority.code,
        day,
        error: (error as Error).message,
      });
    }
  }
  logger.info('connections listings written', { day, authorities: listings.length });
  return listings;
}
