import path from 'node:path';
import nodemailer from 'nodemailer';
import { type Config, paths } from '../config/config.ts';
import { ensureFolder, replaceFile } from '../files/outbox.ts';

interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Names the .eml file when no SMTP server is configured; never personal data. */
  reference: string;
}

export interface MailSender {
  /** Resolves once the server accepted the message (or the .eml file is written). */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
  /** For logs: where mail goes, without credentials. */
  readonly destination: string;
}

function smtpSender(config: Config, url: URL): MailSender {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: config.mail.maxConnections,
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
    secure: url.protocol === 'smtps:',
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    // A server that does not answer must fail the attempt (to be retried), not hold the worker.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    destination: `${url.protocol}//${url.host}`,
    async send(mail) {
      await transport.sendMail({
        from: config.mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      });
    },
    close: () => transport.close(),
  };
}

/**
 * With no SMTP server, each message is written whole as an .eml file, readable by the owner only (it holds the link).
 */
function fileSender(config: Config): MailSender {
  const folder = paths.mailOutbox(config);
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    destination: folder,
    async send(mail) {
      const info = await transport.sendMail({
        from: config.mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      });
      // Owner-only (they hold the links), never through a link (src/files/outbox.ts).
      await ensureFolder(paths.outbox(config), folder, 0o700);
      await replaceFile(
        paths.outbox(config),
        path.join(folder, `${mail.reference}.eml`),
        info.message as Buffer,
        0o600,
      );
    },
    close: () => transport.close(),
  };
}

export function createMailSender(config: Config): MailSender {
  return config.mail.smtpUrl === null ? fileSender(config) : smtpSender(config, new URL(config.mail.smtpUrl));
}
