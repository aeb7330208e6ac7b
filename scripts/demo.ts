/**
 * `npm run demo`: loads the sample reference data, processes every sample file through the
 * same path as the inbox (as of the samples' date), and prints the outcome counts.
 */

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { sendDueMail } from '../pipelines/activation-mail.ts';
import { ingestFile } from '../pipelines/ingest.ts';
import { openApp } from '../src/app.ts';
import { createMailSender } from '../src/mail/mail-sender.ts';
import { countOpenByReason } from '../src/queue/queue-queries.ts';
import { loadReference } from '../src/reference/load.ts';
import { sampleFiles, samplesAsOf, samplesFolder } from './sample-files.ts';

const app = await openApp({ logLevel: 'warn' });
try {
  const reference = await loadReference(app.db, path.join(samplesFolder, 'reference'));
  if (reference.problems.length > 0) throw new Error(reference.problems.join('\n'));
  console.log(
    `reference data: ${Object.entries(reference.counts)
      .map(([name, count]) => `${count} ${name}`)
      .join(', ')}`,
  );
  console.log(`\n${'file'.padEnd(42)} ${'accepted'.padStart(8)} ${'referred'.padStart(8)} ${'invalid'.padStart(8)}`);
  const totals = { accepted: 0, referred: 0, invalid: 0 };
  for (const sample of sampleFiles()) {
    const result = await ingestFile(app, sample.path, sample.authority, sample.kind, samplesAsOf);
    const name = `${sample.authority}/${path.basename(sample.path)}`;
    if (result.outcome === 'refused') throw new Error(`${name} was refused: ${result.reason}`);
    const { accepted, referred, invalid } = result.file;
    const note = result.outcome === 'duplicate' ? '  (processed before; not applied again)' : '';
    console.log(
      `${name.padEnd(42)} ${String(accepted).padStart(8)} ${String(referred).padStart(8)} ` +
        `${String(invalid).padStart(8)}${note}`,
    );
    totals.accepted += accepted;
    totals.referred += referred;
    totals.invalid += invalid;
  }
  console.log(
    `${'total'.padEnd(42)} ${String(totals.accepted).padStart(8)} ${String(totals.referred).padStart(8)} ` +
      `${String(totals.invalid).padStart(8)}`,
  );
  console.log(`\nresult reports: ${path.join(app.config.home, 'outbox')}/<authority>/<file>.results.csv`);
  const sender = createMailSender(app.config);
  const mail = await sendDueMail(app, sender).finally(() => sender.close());
  const outbox = path.join(app.config.home, 'outbox');
  const letters = readdirSync(outbox)
    .map((authority) => path.join(outbox, authority, 'letters'))
    .filter((folder) => existsSync(folder))
    .flatMap((folder) =>
      readdirSync(folder)
        .filter((name) => name.endsWith('.pdf'))
        .map((name) => path.join(folder, name)),
    );
  console.log(`PIN letters (PDF, owner-only): ${letters.length}`);
  for (const letter of letters) console.log(`  ${letter}`);
  console.log(`activation emails: ${mail.sent} sent to ${sender.destination}`);
  console.log(
    "activate one: intake connections activate --token <token= in an email's link> --account you@example.com " +
      '(then type the PIN of its letter)',
  );
  // The page signs people in first: it runs only with a provider, so only when asked for.
  console.log(
    `  or open the email's link on the activation page (${app.config.mail.activationUrl}): intake start --roles ` +
      `…,activation, with a sign-in provider in INTAKE_OIDC_PROVIDERS_FILE (README, "Activation page")`,
  );
  const open = await countOpenByReason(app.db, {});
  const openItems = [...open.values()].reduce((sum, n) => sum + n, 0);
  console.log(
    `\nStudent Records queue: ${openItems} open ${openItems === 1 ? 'item' : 'items'} ` +
      `(${[...open].map(([reason, n]) => `${reason} ${n}`).join(', ')})`,
  );
  // Commands as they run from the checkout, and the console's address as this configuration has it.
  const { host, port } = app.config.server;
  const consoleAt = port === 0 ? 'the address in the "intake started" log line' : `http://${host}:${port}/queue`;
  console.log('work it in the console:');
  console.log('  npm run intake -- staff add YOUR-USERNAME --name "Your Name"    (asks for a password)');
  console.log(`  npm start, then open ${consoleAt} and sign in`);
  console.log('or on the command line: npm run -s intake -- queue list');
} finally {
  await app.close();
}
