/** Parsers for the value forms the spec allows. Each returns the normal form, or null when the form is wrong. */

const nineDigits = /^\d{9}$/;

export function parseAsn(text: string): string | null {
  if (text.length === 9 && nineDigits.test(text)) return text;
  const match = /^(\d{4})-(\d{4})-(\d)$/.exec(text);
  return match ? match.slice(1).join('') : null;
}

/** `1234-5678-9`: how ASNs are written to people. */
export function formatAsn(asn: string): string {
  return `${asn.slice(0, 4)}-${asn.slice(4, 8)}-${asn.slice(8)}`;
}

export function parseSchoolCode(text: string): string | null {
  const match = /^(?:[Ss]\.)?(\d{4})$/.exec(text);
  return match ? `S.${match[1]}` : null;
}

export function parseAuthorityCode(text: string): string | null {
  const match = /^[Aa]\.(\d{4})$/.exec(text);
  return match ? `A.${match[1]}` : null;
}

/** Dates found real, kept: a file names the same few dates over and over. */
const realDates = new Set<string>();

/** A real calendar date written YYYY-MM-DD (2026-02-30 is not one). */
export function parseDate(text: string): string | null {
  if (realDates.has(text)) return text;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  if (realDates.size >= 100_000) realDates.clear();
  realDates.add(text);
  return text;
}

export function parseGrade(text: string): string | null {
  if (/^k$/i.test(text)) return 'K';
  if (!/^\d{1,2}$/.test(text)) return null;
  const grade = Number(text);
  return grade >= 1 && grade <= 12 ? String(grade) : null;
}

export function parseBoolean(text: string): boolean | null {
  const lower = text.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false' || lower === '') return false;
  return null;
}

/** Lower-case, accent-free: "Zoë" and "ZOE" match. */
function foldName(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function studentMatchKey(firstName: string, lastName: string, birthDate: string): string {
  return `${foldName(firstName)}|${foldName(lastName)}|${birthDate}`;
}

/** Values echoed into messages: short, one line, no control characters. */
export function quoteValue(text: string): string {
  const clean = text.replace(/\p{Cc}/gu, ' ');
  return `'${clean.length > 40 ? `${clean.slice(0, 40)}…` : clean}'`;
}

/** Every field of every kind of row: at most `maxLength` characters (when given) and no control characters. */
export function fieldFormProblem(name: string, value: string, maxLength: number | null): string | null {
  if (maxLength !== null && value.length > maxLength)
    return `${name} is longer than ${maxLength} characters; shorten it.`;
  if (/\p{Cc}/u.test(value)) return `${name} contains control characters; remove them.`;
  return null;
}
