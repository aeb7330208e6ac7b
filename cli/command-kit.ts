import { InvalidArgumentError } from 'commander';
import type { App } from '../src/app.ts';

/** Runs a command's work with the app opened (and closed) around it. */
export type WithApp = <T>(work: (app: App) => Promise<T>) => Promise<T>;

/** An option's value through a parser of ours; refused (exit 64) with what was expected. */
export const parsed = (parse: (text: string) => string | null, what: string) => (value: string) => {
  const result = parse(value);
  if (!result) throw new InvalidArgumentError(`expected ${what}`);
  return result;
};
