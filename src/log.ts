import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import { type Config, paths } from './config/config.ts';

/**
 * Log lines carry identifiers (file id, authority, line numbers, counts), never row contents,
 * PINs, tokens or passwords: callers pass only those.
 */
export type Logger = winston.Logger;

export function createLogger(config: Config, options: { console?: boolean } = {}): Logger {
  mkdirSync(paths.logs(config), { recursive: true, mode: 0o750 });
  // A log an earlier release created readable by all is closed too.
  const file = path.join(paths.logs(config), 'intake.log');
  if (existsSync(file)) chmodSync(file, 0o640);
  const transports: winston.transport[] = [
    new winston.transports.File({
      filename: path.join(paths.logs(config), 'intake.log'),
      // Readable by Intake's account and its group (operators), not by every local user.
      options: { flags: 'a', mode: 0o640 },
      format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    }),
  ];
  if (options.console ?? true) {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: winston.format.combine(
          winston.format.timestamp({ format: 'HH:mm:ss' }),
          winston.format.printf(({ timestamp, level, message, ...meta }) => {
            const details = Object.entries(meta)
              .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
              .join(' ');
            return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${details ? ` ${details}` : ''}`;
          }),
        ),
      }),
    );
  }
  return winston.createLogger({ level: config.logLevel, transports });
}
