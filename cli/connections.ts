import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { writeConnectionListings } from '../pipelines/connection-listings.ts';
import { paths } from '../src/config/config.ts';
import { activateConnection, describeActivation, operatorIssuer } from '../src/connections/activation.ts';
import { listConnections, statusNames } from '../src/connections/connection-status.ts';
import { tokenFromEml } from '../src/mail/eml-token.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { currentLetters } from '../src/persist/connection-letters.ts';
import { dateEndingAt, timeIn } from '../src/validate/dates.ts';
import { formatAsn, parseAsn, parseAuthorityCode } from '../src/validate/values.ts';
import { parsed, type WithApp } from './command-kit.ts';
import { readSecretLine } from './password-input.ts';

const asnOption = (value: string) => {
  const asn = parseAsn(value);
  if (!asn) throw new InvalidArgumentError('expected an ASN, as 123456789 or 1234-5678-9');
  return asn;
};
const dateText = (date: Date | null) => (date ? timeIn(date) : '');
/** A file as one can type it from here: relative when it is under the current folder (`var/outbox/…`). */
const shownPath = (file: string) => {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
};

/** `intake connections …` and `intake mail send`. Exit code 4: an activation was refused; 1: an unknown authority. */
export function addConnectionCommands(program: Command, withApp: WithApp): void {
  const connections = program
    .command('connections')
    .description('online access to student records: activate, list, export');
  connections
    .command('activate')
    .description(
      'activate a connection for someone, with the token from its email and the PIN from its letter; recorded ' +
        "as the operator's (issuer intake-cli)",
    )
    .option('--token <token>', "the token of the email's activation link")
    .option('--email <file>', 'or: an .eml file of the mail outbox, to take the token from')
    .requiredOption('--account <id>', 'the account the person will sign in with, as they gave it')
    // Refused with a reason: a PIN on the command line shows in the process list and the history.
    .addOption(new Option('--pin <pin>').hideHelp())
    .option('--json', 'print the outcome as JSON')
    .action(async (options: { token?: string; email?: string; pin?: string; account: string; json?: boolean }) => {
      if (options.pin !== undefined) {
        console.error(
          'intake: the PIN is read from standard input (typed without echo, or piped), never from the command line',
        );
        process.exitCode = 64;
        return;
      }
      const account = options.account.trim();
      const token = options.token?.trim() ?? (options.email ? tokenFromEml(readFileSync(options.email, 'utf8')) : null);
      if (!token) {
        console.error(
          `intake: ${
            options.email ? `${options.email} holds no activation link` : 'give --token, or --email with an .eml file'
          }`,
        );
        process.exitCode = 64;
        return;
      }
      if (account === '' || account.length > 200) {
        console.error('intake: --account: expected an account identifier of 1 to 200 characters');
        process.exitCode = 64;
        return;
      }
      const pin = await readSecretLine('PIN of the letter: ', 'the PIN of the letter');
      // No provider vouched for the account: the record says who did, the operator on this server.
      const operator = userInfo().username;
      const result = await withApp((app) =>
        activateConnection(app.db, app.config, {
          token,
          pin,
          account: { issuer: operatorIssuer, subject: operator, account, actor: `operator:${operator}` },
        }),
      );
      console.log(options.json ? JSON.stringify(result) : describeActivation(result));
      process.exitCode = result.outcome === 'activated' ? 0 : 4;
    });
  connections
    .command('list')
    .description(
      "who can see a student's record, and each connection's status; for one waiting for activation, its " +
        "letter's PDF and its email's .eml file",
    )
    .requiredOption('--asn <asn>', "the student's ASN", asnOption)
    .option('--json', 'print the connections as JSON')
    .action(async (options: { asn: string; json?: boolean }) => {
      const { listing, letters, mailFolder } = await withApp(async (app) => {
        const found = await listConnections(app.db, options.asn, app.config.connections.maxLockouts);
        return {
          listing: found,
          letters: await currentLetters(
            app.db,
            found.connections.map((c) => c.id),
          ),
          // Without an SMTP server each email is an .eml file of the outbox, named by connection and issue.
          mailFolder: app.config.mail.smtpUrl === null ? paths.mailOutbox(app.config) : null,
        };
      });
      // Where to find the PIN and the link of a connection still waiting: the files that exist now.
      const papers = (id: string) => {
        const letter = letters.get(id);
        const eml =
          letter === undefined || mailFolder === null
            ? null
            : path.join(mailFolder, `connection-${id}-issue-${letter.issue}.eml`);
        return {
          letterFiles: (letter?.pdfs ?? []).filter((file) => existsSync(file)),
          emailFile: eml !== null && existsSync(eml) ? eml : null,
        };
      };
      if (options.json) {
        console.log(
          JSON.stringify({ ...listing, connections: listing.connections.map((c) => ({ ...c, ...papers(c.id) })) }),
        );
        return;
      }
      if (listing.primaryAsn === null) {
        console.log(`No student has ASN ${formatAsn(options.asn)}.`);
        process.exitCode = 1;
        return;
      }
      const under = listing.primaryAsn === options.asn ? '' : ` (under primary ASN ${formatAsn(listing.primaryAsn)})`;
      console.log(`Connections to the record of ASN ${formatAsn(options.asn)}${under}: ${listing.connections.length}`);
      for (const c of listing.connections) {
        const who = c.requester === 'student' ? 'the student' : `${c.name ?? ''} (${c.relationship ?? ''})`;
        const since =
          c.status === 'activated'
            ? `activated ${dateText(c.activatedAt)} by ${c.activatedAccount ?? ''}`
            : c.status === 'waiting' && c.expiresAt
              ? `expires at the end of ${dateEndingAt(c.expiresAt)}`
              : '';
        const locked = c.lockedUntilReset
          ? ', PIN locked until the school resets it'
          : c.lockedUntil
            ? `, locked until ${dateText(c.lockedUntil)}`
            : '';
        console.log(
          `  #${c.id}  ${statusNames[c.status].padEnd(22)} ${who}, ${c.email}, set up by ${c.schoolCode} ` +
            `on ${dateText(c.createdAt)}${since ? `, ${since}` : ''}${locked}`,
        );
        const { letterFiles, emailFile } = papers(c.id);
        for (const file of letterFiles) console.log(`        letter: ${shownPath(file)}`);
        if (emailFile !== null) console.log(`        email:  ${shownPath(emailFile)}`);
      }
    });
  connections
    .command('export')
    .description("write an authority's connections listing and changes files to its outbox now")
    .requiredOption(
      '--authority <code>',
      'the authority',
      parsed(parseAuthorityCode, 'an authority code such as A.0094'),
    )
    .option('--json', 'print what was written as JSON')
    // An authority not in the reference data is refused (ListingRefusedError): exit 1, like any failure.
    .action(async (options: { authority: string; json?: boolean }) => {
      const [listing] = await withApp((app) => writeConnectionListings(app, { authority: options.authority }));
      if (!listing) return;
      if (options.json) console.log(JSON.stringify(listing));
      else {
        console.log(`${listing.connectionsFile}: ${listing.connections} connections`);
        console.log(`${listing.changesFile}: ${listing.changes} changes since ${dateText(listing.changesFrom)}`);
      }
    });

  program
    .command('mail')
    .description('activation emails')
    .command('send')
    .description('send the activation emails that are due now (a running service does this on its own)')
    .action(async () => {
      const round = await withApp(async (app) => {
        const sender = createMailSender(app.config);
        try {
          return await sendDueMail(app, sender);
        } finally {
          sender.close();
        }
      });
      console.log(
        `sent ${round.sent}, no longer due ${round.skipped}, failed (retried later) ${round.failed}, ` +
          `given up (refused for good; the school is told) ${round.givenUp}`,
      );
      if (round.failed > 0) process.exitCode = 1;
    });
}
