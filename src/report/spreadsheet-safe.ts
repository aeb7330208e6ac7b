/**
 * A cell a spreadsheet would read as a formula (=, +, -, @, tab, carriage return first) gets a
 * leading apostrophe, so a report opened in Excel or LibreOffice never runs what a row carried.
 */
export function spreadsheetSafe(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
