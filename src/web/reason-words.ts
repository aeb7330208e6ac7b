import { type ReferralReason, referralReasons } from '../outcomes.ts';
import { html, type SafeHtml } from './html.ts';

/**
 * A referral reason in a few plain words, shown beside its code wherever the console lists
 * items: a code alone means nothing to someone new to the queue, and a hover text cannot be
 * read on a phone or by keyboard. Typed by the reasons, so a new reason cannot go without words.
 */
const reasonWords: Record<ReferralReason, string> = {
  UNKNOWN_ASN: 'No student has this ASN',
  NO_HISTORICAL_ENROLMENT: 'No association and no past enrolment with the authority',
  HIGH_LAST_EXIT_OVER_6_MONTHS: 'High restriction: left the authority too long ago',
  HIGH_MORE_RECENT_ELSEWHERE: 'High restriction: enrolled elsewhere since',
  HIGH_HISTORICAL_ONLY: 'High restriction: only a past enrolment with the authority',
  POTENTIAL_DUPLICATE: 'May already exist: same names and birth date',
  NO_ASSOCIATION_FOR_ACCESS: 'Access asked for without an association',
  CONNECTION_OF_ANOTHER_AUTHORITY: "Reset of another authority's connection",
};

function isReason(code: string): code is ReferralReason {
  return code in referralReasons;
}

export function wordsOfReason(code: string): string {
  return isReason(code) ? reasonWords[code] : code;
}

/**
 * A code that may wrap at its underscores (`HIGH_MORE_<wbr>RECENT_…`): a narrow column then
 * breaks it between words rather than overflowing. Its text is unchanged for copying and search.
 */
function wrappableCode(code: string): SafeHtml {
  const parts = code.split('_');
  return html`<code class="code">${parts.map((part, i) => (i === 0 ? part : html`_<wbr>${part}`))}</code>`;
}

/** The reason's words, then its code: what staff read first, and what the reports and the CLI call it. */
export function reasonLabel(code: string): SafeHtml {
  return html`<span class="reason-words">${wordsOfReason(code)}</span> ${wrappableCode(code)}`;
}
