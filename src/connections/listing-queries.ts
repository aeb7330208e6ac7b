import { sqlTimeZone } from '../config/province.ts';
import type { Queryable } from '../db/database.ts';

/**
 * A listing that cannot be written as asked: an unknown authority, a day to come, or a day before one already listed.
 */
export class ListingRefusedError extends Error {
  override name = 'ListingRefusedError';
}

/** A connection as the listing shows it. */
export interface ListedConnection {
  asn: string;
  schoolCode: string;
  schoolName: string;
  lastName: string;
  firstName: string;
  middleName: string | null;
  requester: 'student' | 'parent_guardian';
  relationship: string | null;
  personName: string | null;
  email: string;
  language: 'en' | 'fr';
  status: 'waiting' | 'activated' | 'expired' | 'deleted';
  /**
   * Days (YYYY-MM-DD in the province), formatted by the database: a formatter per row would cost more than the query.
   */
  requestedOn: string;
  letterIssuedOn: string | null;
  /** The day printed on the letter: the request ends at the midnight after it. */
  expiresOn: string | null;
  activatedOn: string | null;
  /** When it became Deleted or Request Expired. */
  endedOn: string | null;
}

export type ChangeKind = 'activated' | 'expired' | 'revoked' | 'replaced' | 'reset' | 'email_undeliverable';

/** Something that happened to a connection, with the connection as it is now. */
export interface ConnectionChange extends ListedConnection {
  change: ChangeKind;
  /** `2026-11-24 14:05 MST`, in the province's time. */
  when: string;
  /** Who did it, as recorded: an authority code, a staff member, `expiry`, `reference load`. */
  actor: string | null;
  /** An undeliverable email: the server's codes and the tries made. */
  responseCode: number | null;
  enhancedCode: string | null;
  tries: number | null;
}

const dayOf = (column: string) => `to_char((${column}) at time zone ${sqlTimeZone}, 'YYYY-MM-DD')`;
const connectionColumns = `c.asn, c.school_code, sc.name as school_name, s.last_name, s.first_name, s.middle_name,
       c.requester, c.relationship, c.person_name, c.email, c.language, c.status,
       ${dayOf('c.created_at')} as requested_on,
       ${dayOf('c.issued_at')} as letter_issued_on, ${dayOf("c.expires_at - interval '1 microsecond'")} as expires_on,
       ${dayOf('c.activated_at')} as activated_on,
       case when c.status in ('expired', 'deleted') then ${dayOf('c.status_changed_at')} end as ended_on`;

/**
 * Students an association could hold for: one of the authority's schools has (or had) an
 * enrolment of theirs, or the authority created them (docs/rules.md §2 knows no other way). The
 * rules themselves then decide, batch by batch (src/connections/visible-students.ts).
 */
const mayBeAssociated = `(s.created_by = $1 or exists (
         select 1 from enrolment e join school es on es.code = e.school_code
          where e.asn = c.asn and not e.deleted and es.authority_code = $1))`;

/** Sorted by school, student, person: the student first, then parents and guardians by name. */
const listingOrder = `c.school_code, lower(s.last_name), lower(s.first_name), c.asn,
          c.requester <> 'student', lower(coalesce(c.person_name, '')), c.email, c.id`;

interface ConnectionRecord {
  asn: string;
  school_code: string;
  school_name: string;
  last_name: string;
  first_name: string;
  middle_name: string | null;
  requester: 'student' | 'parent_guardian';
  relationship: string | null;
  person_name: string | null;
  email: string;
  language: 'en' | 'fr';
  status: ListedConnection['status'];
  requested_on: string;
  letter_issued_on: string | null;
  expires_on: string | null;
  activated_on: string | null;
  ended_on: string | null;
}

function listed(r: ConnectionRecord): ListedConnection {
  return {
    asn: r.asn,
    schoolCode: r.school_code,
    schoolName: r.school_name,
    lastName: r.last_name,
    firstName: r.first_name,
    middleName: r.middle_name,
    requester: r.requester,
    relationship: r.relationship,
    personName: r.person_name,
    email: r.email,
    language: r.language,
    status: r.status,
    requestedOn: r.requested_on,
    letterIssuedOn: r.letter_issued_on,
    expiresOn: r.expires_on,
    activatedOn: r.activated_on,
    endedOn: r.ended_on,
  };
}

/** A cursor's next rows, `count` at a time; empty once it is read to the end. */
export type NextRows<T> = (count: number) => Promise<T[]>;

/**
 * Every connection the authority may be associated with, in the listing's order, through a cursor (in the caller's
 * transaction).
 */
export async function openListedConnections(
  client: Queryable,
  authorityCode: string,
): Promise<NextRows<ListedConnection>> {
  await client.query(
    `declare listed_connections no scroll cursor for
     select ${connectionColumns}
       from connection c join student s on s.asn = c.asn join school sc on sc.code = c.school_code
      where ${mayBeAssociated}
      order by ${listingOrder}`,
    [authorityCode],
  );
  return async (count) => {
    const result = await client.query<ConnectionRecord>(`fetch ${count} from listed_connections`);
    return result.rows.map(listed);
  };
}

/**
 * The changes in (from, until], in the listing's order, through a cursor. A deleted connection
 * whose person got a new one in the same transaction was replaced (replace=yes), not revoked.
 */
export async function openConnectionChanges(
  client: Queryable,
  authorityCode: string,
  window: { from: Date; until: Date },
): Promise<NextRows<ConnectionChange>> {
  // For the zone's abbreviation of each moment (MST or MDT), until the transaction ends.
  await client.query(`set local time zone ${sqlTimeZone}`);
  await client.query(
    `declare connection_changes no scroll cursor for
     with change as (
       select c.id, 'activated' as change, c.activated_at as at, null::text as actor,
              null::int as response_code, null::text as enhanced_code, null::int as tries
         from connection c where c.activated_at > $2 and c.activated_at <= $3
       union all
       select c.id, case when c.status = 'expired' then 'expired'
                         when exists (select 1 from connection n where n.asn = c.asn and n.email = c.email
                                         and n.id > c.id and n.created_at = c.status_changed_at) then 'replaced'
                         else 'revoked' end,
              c.status_changed_at, c.status_changed_by, null, null, null
         from connection c
        where c.status in ('expired', 'deleted') and c.status_changed_at > $2 and c.status_changed_at <= $3
       union all
       select c.id, 'reset', c.reset_at, c.reset_by, null, null, null
         from connection c where c.reset_at > $2 and c.reset_at <= $3
       union all
       select u.connection_id, 'email_undeliverable', u.at, null, u.response_code, u.enhanced_code, u.tries
         from undeliverable_email u where u.at > $2 and u.at <= $3)
     select ch.change, to_char(ch.at, 'YYYY-MM-DD HH24:MI TZ') as happened, ch.actor, ch.response_code,
       ch.enhanced_code, ch.tries, ${connectionColumns}
       from change ch join connection c on c.id = ch.id
       join student s on s.asn = c.asn join school sc on sc.code = c.school_code
      where ${mayBeAssociated}
      order by ${listingOrder}, ch.at, ch.change`,
    [authorityCode, window.from, window.until],
  );
  return async (count) => {
    const result = await client.query<
      ConnectionRecord & {
        change: ChangeKind;
        happened: string;
        actor: string | null;
        response_code: number | null;
        enhanced_code: string | null;
        tries: number | null;
      }
    >(`fetch ${count} from connection_changes`);
    return result.rows.map((r) => ({
      ...listed(r),
      change: r.change,
      when: r.happened,
      actor: r.actor,
      responseCode: r.response_code,
      enhancedCode: r.enhanced_code,
      tries: r.tries,
    }));
  };
}

/** One writer of an authority's listing at a time, until the caller's transaction ends. */
export async function lockListing(client: Queryable, authorityCode: string): Promise<void> {
  await client.query('select pg_advisory_xact_lock(hashtext($1))', [`connection-listing|${authorityCode}`]);
}

/**
 * The window of the day's changes file. A change is stamped with its transaction's start, and
 * may commit later: the window ends where the oldest transaction still running began, so every
 * change stamped before its end is already visible, and the rest fall into the next window. A
 * transaction open for over an hour (a session left idle) does not hold the listings back.
 *
 * - the day listed before: the same start, a later end (written again, it loses nothing);
 * - a new day: from the end of the last listing (the day before, the first time);
 * - a day before one already listed: its file as recorded (written again, it tells nothing twice).
 */
export async function listingWindow(
  client: Queryable,
  authorityCode: string,
  day: string,
): Promise<{ from: Date; until: Date }> {
  const now = await client.query<{ boundary: Date; first_from: Date }>(
    `select greatest(min(a.xact_start), now() - interval '1 hour') as boundary,
            ($1::date - 1)::timestamp at time zone ${sqlTimeZone} as first_from
       from pg_stat_activity a
      where a.datname = current_database() and a.backend_type = 'client backend' and a.xact_start is not null`,
    [day],
  );
  const { boundary, first_from: firstFrom } = now.rows[0] as { boundary: Date; first_from: Date };
  const earlier = await client.query<{ day: string; changes_from: Date; changes_until: Date }>(
    `select day::text, changes_from, changes_until from connection_listing
      where authority_code = $1 and (day = $2 or day = (select max(day) from connection_listing where authority_code =
        $1))`,
    [authorityCode, day],
  );
  const same = earlier.rows.find((r) => r.day === day);
  const latest = earlier.rows.find((r) => r.day !== day);
  const later = (date: Date, other: Date) => (date > other ? date : other);
  if (same && latest && latest.day > day) return { from: same.changes_from, until: same.changes_until };
  if (same) return { from: same.changes_from, until: later(boundary, same.changes_until) };
  if (latest && latest.day > day) {
    throw new ListingRefusedError(
      `The connections listing of ${authorityCode} was written for ${latest.day} already; an earlier day cannot ` +
        `be started now.`,
    );
  }
  const from = latest?.changes_until ?? firstFrom;
  return { from, until: later(boundary, from) };
}

/** Records the day's listing: the next one's changes start where these end. */
export async function recordListing(
  client: Queryable,
  listing: { authorityCode: string; day: string; from: Date; until: Date; connections: number; changes: number },
): Promise<void> {
  await client.query(
    `insert into connection_listing (authority_code, day, changes_from, changes_until, connections, changes)
     values ($1, $2, $3, $4, $5, $6)
     on conflict (authority_code, day) do update
       set changes_until = excluded.changes_until, connections = excluded.connections, changes = excluded.changes,
           written_at = now()`,
    [listing.authorityCode, listing.day, listing.from, listing.until, listing.connections, listing.changes],
  );
}
