import type pg from 'pg';
import { expireConnections } from '../src/connections/connection-status.ts';
import { lockKeys } from '../src/db/locks.ts';
import { ConnectionChanges } from '../src/persist/connection-writes.ts';
import { type AuditEntry, insertAudit, type RowOutcome } from '../src/persist/row-outcomes.ts';
import { AccessSnapshot } from '../src/reference/access-snapshot.ts';
import { type AccessCode, decideAccessRow } from '../src/rules/access-row.ts';
import type { DecisionBasis } from '../src/rules/enrolment-row.ts';
import { type AccessRow, accessColumns, checkAccessRecord, requiredAccessColumns } from '../src/validate/access-row.ts';
import { issueLetters } from './access-letters.ts';
import { type AppliedRow, type ChunkSettings, defineKind, type RowTarget } from './chunk.ts';
import { noteNamesToWriteByHand } from './letter-names.ts';

const acceptedMessages: Record<AccessCode, string> = {
  CONNECTION_CREATED: 'Connection set up: the PIN letter is in your outbox and the activation email is on its way.',
  CONNECTION_REPLACED:
    'The waiting connection was deleted and a new one set up: a new PIN letter is in your outbox and a new ' +
    'activation email is on its way.',
  CONNECTION_RESET:
    'New PIN issued: the new letter is in your outbox and a new activation email is on its way; the old PIN and ' +
    'link no longer work.',
  CONNECTION_REVOKED:
    "Connection deleted: the person can no longer see the student's record, and any pending PIN no longer works.",
};

const auditActions: Record<AccessCode, string> = {
  CONNECTION_CREATED: 'connection_created',
  CONNECTION_REPLACED: 'connection_replaced',
  CONNECTION_RESET: 'connection_reset',
  CONNECTION_REVOKED: 'connection_revoked',
};

/** What the access rules need besides the database. */
export type AccessRuleSettings = Pick<
  ChunkSettings,
  'authority' | 'windows' | 'schools' | 'institutionDomains' | 'connectionExpiryDays'
>;

/**
 * Decides checked access rows and applies the accepted ones, in the caller's transaction: a
 * file's chunk under the limited-access rules (its letters go with the file), or a row Student
 * Records approved (its letter goes with the queue item, `letterReferralId`).
 */
export async function applyAccessRows(
  client: pg.PoolClient,
  target: RowTarget,
  rows: AccessRow[],
  rules: AccessRuleSettings,
  basis: DecisionBasis,
  letterReferralId?: number,
): Promise<AppliedRow[]> {
  const snapshot = new AccessSnapshot(
    target.asOf,
    rules.authority,
    rules.windows,
    rules.schools,
    rules.institutionDomains,
  );
  await snapshot.loadStudents(
    client,
    rows.map((row) => row.asn),
  );
  const pairs = rows.flatMap((row) => {
    const primary = snapshot.primaryOf(row.asn);
    return primary === null ? [] : [{ asn: primary, email: row.email }];
  });
  // Two files acting on the same person and student at once (by primary or secondary ASN): the
  // second waits and sees the first's connection.
  const pairKeys = [...new Set(pairs.map((p) => `connection|${p.asn}|${p.email}`))];
  await lockKeys(client, pairKeys);
  // A request past its expiry counts as expired even before the expiry job has run.
  if (pairs.length > 0)
    await expireConnections(client, rules.connectionExpiryDays, { asns: [...new Set(pairs.map((p) => p.asn))] });
  await snapshot.loadConnections(client, pairs);

  const changes = new ConnectionChanges();
  const audit: AuditEntry[] = [];
  const results: AppliedRow[] = [];
  for (const row of rows) {
    const decision = decideAccessRow(row, snapshot, basis);
    // The report's ASN is the one submitted: a secondary ASN's primary is not revealed.
    if (decision.status !== 'accepted') {
      const outcome: RowOutcome = {
        line: row.line,
        status: decision.status,
        code: decision.code,
        message: decision.message,
        asn: row.asn,
      };
      results.push(
        decision.status === 'referred'
          ? {
              outcome,
              referral: {
                kind: 'access',
                row,
                reason: decision.reason,
                reportedCode: decision.code,
                saw: decision.saw,
              },
            }
          : { outcome },
      );
      continue;
    }
    changes.apply(decision.code, decision.primaryAsn, row);
    const revoked = decision.code === 'CONNECTION_REVOKED';
    snapshot.recordConnection(
      decision.primaryAsn,
      row.email,
      revoked ? 'none' : 'waiting',
      revoked ? null : { schoolCode: row.schoolCode, authorityCode: target.authorityCode },
    );
    audit.push({
      actor: target.actor,
      action: auditActions[decision.code],
      asn: decision.primaryAsn,
      fileId: target.fileId,
      line: row.line,
      detail: { school: row.schoolCode, requester: row.requester, relationship: row.relationship },
    });
    results.push({
      outcome: {
        line: row.line,
        status: 'accepted',
        code: decision.code,
        message: acceptedMessages[decision.code],
        asn: row.asn,
      },
      primaryAsn: decision.primaryAsn,
    });
  }

  await changes.write(client, {
    fileId: target.fileId,
    authorityCode: target.authorityCode,
    actor: target.actor,
    letterReferralId: letterReferralId ?? null,
  });
  await insertAudit(client, audit);
  await noteNamesToWriteByHand(client, rows, results);
  return results;
}

export const accessKind = defineKind({
  kind: 'access',
  columns: accessColumns,
  required: requiredAccessColumns,
  xml: { root: 'access_requests', record: 'access_request' },
  check: checkAccessRecord,
  apply: applyAccessRows,
  afterRows: issueLetters,
});
