/**
 * The activation token in an .eml file Intake wrote (the outbox without SMTP): the text part is
 * quoted-printable, so soft line breaks are joined and `=3D` read as `=` before looking.
 */
export function tokenFromEml(eml: string): string | null {
  const text = eml.replace(/=\r?\n/g, '').replace(/=3D/gi, '=');
  return /[?&]token=([A-Za-z0-9_-]{20,})/.exec(text)?.[1] ?? null;
}
