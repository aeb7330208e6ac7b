import type { Queryable } from '../db/database.ts';
import type { AccessCode } from '../rules/access-row.ts';
import type { AccessRow } from '../validate/access-row.ts';

interface NewConnection {
  asn: string;
  row: AccessRow;
  status: 'waiting' | 'deleted';
}

const keyOf = (asn: string, email: string) => `${asn}|${email}`;

/**
 * The connection changes of one chunk, applied in three batched statements. Rows of the chunk
 * that touch the same person and student are folded in file order first, so a create followed
 * by a revoke in one file leaves a deleted connection, as if applied one by one.
 */
export class ConnectionChanges {
  private readonly inserts: NewConnection[] = [];
  /** Index in `inserts` of the live connection this chunk created, by person and student. */
  private readonly createdHere = new Map<string, number>();
  /** Live connections in the database to delete (replace, revoke) or give a new letter (reset). */
  private readonly deletes = new Map<string, { asn: string; email: string }>();
  private readonly resets = new Map<string, { asn: string; row: AccessRow }>();

  apply(code: AccessCode, primaryAsn: string, row: AccessRow): void {
    const key = keyOf(primaryAsn, row.email);
    const here = this.createdHere.get(key);
    const fromDatabase = { asn: primaryAsn, email: row.email };
    switch (code) {
      case 'CONNECTION_CREATED':
      case 'CONNECTION_REPLACED':
        if (here !== undefined) (this.inserts[here] as NewConnection).status = 'deleted';
        else if (code === 'CONNECTION_REPLACED') {
          this.deletes.set(key, fromDatabase);
          this.resets.delete(key);
        }
        this.createdHere.set(key, this.inserts.push({ asn: primaryAsn, row, status: 'waiting' }) - 1);
        break;
      case 'CONNECTION_RESET':
        if (here === undefined) this.resets.set(key, { asn: primaryAsn, row });
        else {
          // One created in this chunk gets its first letter with this file anyway, from the
          // school and in the language the reset asks for, as when they are chunks apart.
          const created = this.inserts[here] as NewConnection;
          created.row = {
            ...created.row,
            schoolCode: row.schoolCode,
            language: row.language ?? created.row.language,
            name: row.name ?? created.row.name,
            relationship: row.relationship ?? created.row.relationship,
          };
        }
        break;
      case 'CONNECTION_REVOKED':
        if (here !== undefined) {
          (this.inserts[here] as NewConnection).status = 'deleted';
          this.createdHere.delete(key);
        } else {
          this.deletes.set(key, fromDatabase);
          this.resets.delete(key);
        }
        break;
    }
  }

  /**
   * `source.fileId`: the file the rows came from; their letters go with it, or with the queue
   * item `letterReferralId` when Student Records approved them.
   */
  async write(
    client: Queryable,
    source: { fileId: number; authorityCode: string; actor: string; letterReferralId: number | null },
  ): Promise<void> {
    const { actor } = source;
    const letterFileId = source.letterReferralId === null ? source.fileId : null;
    if (this.deletes.size > 0) {
      const deletes = [...this.deletes.values()];
      // The PIN stops working at once; the tokens keep their issue, so their links can say the access ended.
      await client.query(
        `update connection c set status = 'deleted', pin_hash = null, locked_until = null, status_changed_at = now(),
                status_changed_by = $3
           from unnest($1::text[], $2::text[]) as gone (asn, email)
          where c.asn = gone.asn and c.email = gone.email and c.status in ('waiting', 'activated')`,
        [deletes.map((d) => d.asn), deletes.map((d) => d.email), actor],
      );
    }
    if (this.resets.size > 0) {
      const resets = [...this.resets.values()];
      // The old PIN and link stop working now, and emails queued for them are moot (the issue
      // moves on); this file's letters carry the new ones, from the school that asked.
      await client.query(
        `update connection c set pin_hash = null, issue = c.issue + 1, letter_file_id = $3, letter_referral_id = $9,
                failed_attempts = 0, locked_until = null, lockouts = 0, issued_at = null, expires_at = null,
                school_code = reset.school_code, authority_code = $10, language = coalesce(reset.language, c.language),
                person_name = coalesce(reset.person_name, c.person_name),
                relationship = coalesce(reset.relationship, c.relationship),
                status_changed_at = now(), status_changed_by = $4, reset_at = now(), reset_by = $4
           from unnest($1::text[], $2::text[], $5::text[], $6::text[], $7::text[], $8::text[])
             as reset (asn, email, school_code, language, person_name, relationship)
          where c.asn = reset.asn and c.email = reset.email and c.status = 'waiting'`,
        [
          resets.map((r) => r.asn),
          resets.map((r) => r.row.email),
          letterFileId,
          actor,
          resets.map((r) => r.row.schoolCode),
          resets.map((r) => r.row.language),
          resets.map((r) => r.row.name),
          resets.map((r) => (r.row.requester === 'student' ? null : r.row.relationship)),
          source.letterReferralId,
          source.authorityCode,
        ],
      );
    }
    if (this.inserts.length > 0) {
      const rows = this.inserts;
      await client.query(
        `insert into connection (asn, school_code, authority_code, requester, relationship, person_name, email,
                                 language, status, letter_file_id, letter_referral_id, created_by, source_file_id,
                                 source_line, status_changed_by)
         select n.asn, n.school_code, $14, n.requester, n.relationship, n.person_name, n.email, n.language, n.status,
                case when n.status = 'waiting' then $12::bigint end,
                case when n.status = 'waiting' then $13::bigint end, $10, $11, n.line, $10
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                       $9::int[])
             as n (asn, school_code, requester, relationship, person_name, email, language, status, line)`,
        [
          rows.map((r) => r.asn),
          rows.map((r) => r.row.schoolCode),
          rows.map((r) => r.row.requester ?? 'student'),
          rows.map((r) => r.row.relationship),
          rows.map((r) => r.row.name),
          rows.map((r) => r.row.email),
          rows.map((r) => r.row.language ?? 'en'),
          rows.map((r) => r.status),
          rows.map((r) => r.row.line),
          actor,
          source.fileId,
          letterFileId,
          source.letterReferralId,
          source.authorityCode,
        ],
      );
    }
  }
}
