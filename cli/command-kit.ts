import { InvalidArgumentError } from 'commander';
import type { App } from '../src/app.ts';

/** Runs a command's work with the app opened (and closed) around it. */
export type WithApp = <T>(work: (app: App) => Promise<T>) => Promise<T>;

/** A count and its noun, in the singular for one: `1 row`, `2 rows`. */
export const counted = (count: number | string, one: string, many = `${one}s`): string =>
  `${count} ${Number(count) === 1 ? one : many}`;

/** An option's value through a parser of ours; refused (exit 64) with what was expected. */
export const parsed = (parse: (text: string) => string | null, what: string) => (value: string) => {
  const result = parse(value);
  if (!result) throw new InvalidArgumentError(`expected ${what}`);
  return result;
};
