/**
 * An address a mail server will take: one `@`, a local part of printable characters without
 * spaces, and a domain of dot-separated labels with a letter-only top level. Lower-cased:
 * addresses are compared case-insensitively.
 */
const emailPattern =
  /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64})@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$/;

export function parseEmail(text: string): string | null {
  if (text.length > 254) return null;
  const match = emailPattern.exec(text);
  if (!match) return null;
  const local = match[1] as string;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  return text.toLowerCase();
}

function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * Whether the address is on one of the institutions' domains, or a subdomain of one
 * (staff.school.ca is the school's too): such an address is not personal.
 */
export function isInstitutionAddress(email: string, institutionDomains: ReadonlySet<string>): boolean {
  const labels = emailDomain(email).split('.');
  for (let start = 0; start < labels.length - 1; start++) {
    if (institutionDomains.has(labels.slice(start).join('.'))) return true;
  }
  return false;
}
