/**
 * What a mail server's refusal means, in words a school can act on. Only the reply's codes are
 * kept (never its text, which names the address), so the words come from the codes: the
 * enhanced status code (RFC 3463) when the server gave one, else the basic reply code.
 */
const byEnhancedCode: Record<string, string> = {
  '5.1.1': 'the mailbox does not exist',
  '5.1.2': "the address's domain does not exist or takes no email",
  '5.1.3': 'the address is not a valid mailbox address',
  '5.1.6': 'the mailbox has moved and takes no email at this address',
  '5.1.10': "the address's domain takes no email",
  '5.2.1': 'the mailbox is disabled',
  '5.2.2': 'the mailbox is full',
  '5.2.3': 'the message was too large for the mailbox',
};

const byReplyCode: Record<number, string> = {
  550: 'the mailbox does not exist or is unavailable',
  551: 'the address is not hosted at that mail server',
  552: 'the mailbox is full',
  553: 'the address is not allowed there or is badly formed',
};

/** `the mailbox is full (SMTP 552 5.2.2)`: the reason, with the codes a mail administrator needs. */
export function refusalInWords(responseCode: number | null, enhancedCode: string | null): string {
  const reason =
    (enhancedCode === null ? undefined : byEnhancedCode[enhancedCode]) ??
    (responseCode === null ? undefined : byReplyCode[responseCode]) ??
    "the recipient's mail server refused it";
  const codes = [responseCode, enhancedCode].filter((c) => c !== null).join(' ');
  return codes === '' ? reason : `${reason} (SMTP ${codes})`;
}
