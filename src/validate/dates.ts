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
  return `${String(targetYear).padStart(4, '0')}-${String(targetMonth).padStart(2, '0')}-${String(Math.min(day, lastDay)).padStart(2, '0')}`;
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
