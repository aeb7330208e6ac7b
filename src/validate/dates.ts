import { provinceTimeZone } from '../config/province.ts';

/** Calendar arithmetic on YYYY-MM-DD strings, which also compare correctly as text. */

// Rules ask the same few (date, months) pairs over and over across a file.
const memo = new Map<string, string>();

export function addMonths(date: string, months: number): string {
  const key = `${date}+${months}`;
  let result = memo.get(key);
  if (result === undefined) {
    if (memo.size > 100_000) memo.clear();
    result = computeAddMonths(date, months);
    memo.set(key, result);
  }
  return result;
}

function computeAddMonths(date: string, months: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const total = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(total / 12);
  const targetMonth = (total % 12) + 1;
  // The last day of a shorter month stands in for a day it does not have (Aug 31 + 6 months = Feb 28).
  const lastDay = new Date(Date.UTC(targetYear, targetMonth, 0)).getUTCDate();
  return (
    `${String(targetYear).padStart(4, '0')}-${String(targetMonth).padStart(2, '0')}-` +
    `${String(Math.min(day, lastDay)).padStart(2, '0')}`
  );
}

export function todayIn(timeZone = provinceTimeZone): string {
  return dateIn(new Date(), timeZone);
}

/** The calendar date (YYYY-MM-DD) of a moment in the province's time zone. */
export function dateIn(moment: Date, timeZone = provinceTimeZone): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    moment,
  );
}

/** The date of the last moment before `moment`: a request ending at midnight prints the day that ends there. */
export function dateEndingAt(moment: Date, timeZone = provinceTimeZone): string {
  return dateIn(new Date(moment.getTime() - 1), timeZone);
}

export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** A moment as staff read it, in the province's time: `2026-11-24 14:05 MST`. */
export function timeIn(moment: Date, timeZone = provinceTimeZone): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(moment);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
}

// The parts of a moment in the province's time, one formatter per language, made once: only the
// zone's arithmetic and the month's name come from Intl, so the words read the same whatever the ICU.
const readableOptions: Intl.DateTimeFormatOptions = {
  timeZone: provinceTimeZone,
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hourCycle: 'h23',
};
const readableParts = {
  en: new Intl.DateTimeFormat('en-CA', readableOptions),
  fr: new Intl.DateTimeFormat('fr-CA', readableOptions),
} as const;
// Keeps the parts of a date and of a time on one line.
const nbsp = '\u00a0';

/**
 * A moment as a person reads it, in the province's time and in their language: `December 1,
 * 2026 at 8:44 a.m.`, `1er décembre 2026 à 8 h 44` (with no-break spaces inside the date and
 * the time). For the public pages; staff read `timeIn`'s.
 */
export function readableMoment(moment: Date, language: 'en' | 'fr'): string {
  const parts = readableParts[language].formatToParts(moment);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const day = Number(part('day'));
  const hour = Number(part('hour')) % 24;
  const minute = part('minute').padStart(2, '0');
  if (language === 'fr') {
    // The first of the month is an ordinal; the hour takes « h », and the minutes only when there are some.
    const time = minute === '00' ? `${hour}${nbsp}h` : `${hour}${nbsp}h${nbsp}${minute}`;
    return `${day === 1 ? '1er' : day}${nbsp}${part('month')}${nbsp}${part('year')} à ${time}`;
  }
  const period = hour < 12 ? 'a.m.' : 'p.m.';
  return (
    `${part('month')}${nbsp}${day}, ${part('year')} ` +
    `at ${hour % 12 === 0 ? 12 : hour % 12}:${minute}${nbsp}${period}`
  );
}
