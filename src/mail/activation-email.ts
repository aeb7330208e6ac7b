import {
  ACCEPT_BUTTON_LABEL,
  ACTIVATE_LINK_LABEL,
  ACTIVATION_EMAIL_SUBJECT,
  PIN_STEP,
  quoteLabel,
  SIGN_IN_STEP,
} from '../letters/letter-text.ts';

/**
 * The activation email of docs/rules.md §6, in English and French: the link and the expiry date, never
 * the PIN. It names no one, neither the student nor the recipient: an address typed wrong must
 * not tell a stranger who the student is; the person learns that once the PIN is right.
 */
export interface ActivationEmail {
  to: string;
  schoolName: string;
  link: string;
  expiresOn: string;
  language: 'en' | 'fr';
}

export interface ComposedEmail {
  subject: string;
  text: string;
  html: string;
}

const wording = {
  en: {
    subject: ACTIVATION_EMAIL_SUBJECT.en,
    greeting: 'Hello,',
    intro: (school: string) =>
      `${school} has set up a connection for you in myPass, so that you can see a student's record online. To ` +
      `activate it you need this email and the 4-digit PIN in the letter the school gave you.`,
    button: ACTIVATE_LINK_LABEL.en,
    // The letter's and the activation page's words for the same steps.
    steps: [
      `Click the ${quoteLabel('en', ACTIVATE_LINK_LABEL.en)} link.`,
      SIGN_IN_STEP.en,
      `${PIN_STEP.en.before}${quoteLabel('en', ACCEPT_BUTTON_LABEL.en)}${PIN_STEP.en.after}`,
    ],
    expiry: (date: string) => `This request expires on ${date}. After that date, ask the school for a new PIN.`,
    keep:
      'Do not delete this email until your connection is active. Your PIN is never sent by email: if ' +
      'someone asks you for it, do not give it.',
    ignore: "If you did not ask for access to a student's record, ignore this email; nothing happens without the PIN.",
  },
  fr: {
    subject: ACTIVATION_EMAIL_SUBJECT.fr,
    greeting: 'Bonjour,',
    intro: (school: string) =>
      `${school} a créé pour vous une connexion dans myPass afin que vous puissiez consulter en ligne le ` +
      `dossier d’un élève. Pour l’activer, il vous faut ce courriel et le NIP à 4 chiffres inscrit sur la ` +
      `lettre que l’école vous a remise.`,
    button: ACTIVATE_LINK_LABEL.fr,
    steps: [
      `Cliquez sur le lien ${quoteLabel('fr', ACTIVATE_LINK_LABEL.fr)}.`,
      SIGN_IN_STEP.fr,
      `${PIN_STEP.fr.before}${quoteLabel('fr', ACCEPT_BUTTON_LABEL.fr)}${PIN_STEP.fr.after}`,
    ],
    expiry: (date: string) => `Cette demande expire le ${date}. Après cette date, demandez un nouveau NIP à l’école.`,
    keep:
      'Ne supprimez pas ce courriel avant que votre connexion soit active. Votre NIP n’est jamais envoyé ' +
      'par courriel : si quelqu’un vous le demande, ne le donnez pas.',
    ignore:
      'Si vous n’avez pas demandé l’accès au dossier d’un élève, ignorez ce courriel; rien ne se passe sans le NIP.',
  },
} as const;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The link, drawn as a button: mail clients keep inline styles only. */
const buttonStyle =
  'display: inline-block; padding: 0.6em 1.2em; background: #00527c; color: #fff; ' +
  'text-decoration: none; border-radius: 4px';

export function composeActivationEmail(email: ActivationEmail): ComposedEmail {
  const w = wording[email.language];
  const text = [
    w.greeting,
    '',
    w.intro(email.schoolName),
    '',
    `${w.button}: ${email.link}`,
    '',
    ...w.steps.map((step, i) => `${i + 1}. ${step}`),
    '',
    w.expiry(email.expiresOn),
    '',
    w.keep,
    w.ignore,
    '',
  ].join('\n');
  const html = `<!doctype html>
<html lang="${email.language}"><head><meta charset="utf-8"><title>${escapeHtml(w.subject)}</title></head>
<body style="font-family: Arial, sans-serif; color: #1a1a1a; max-width: 36em">
<p>${escapeHtml(w.greeting)}</p>
<p>${escapeHtml(w.intro(email.schoolName))}</p>
<p><a href="${escapeHtml(email.link)}" style="${buttonStyle}">${escapeHtml(w.button)}</a></p>
<ol>${w.steps.map((step) => `<li>${escapeHtml(step)}</li>`).join('')}</ol>
<p><strong>${escapeHtml(w.expiry(email.expiresOn))}</strong></p>
<p>${escapeHtml(w.keep)}</p>
<p style="color: #555">${escapeHtml(w.ignore)}</p>
</body></html>
`;
  return { subject: w.subject, text, html };
}
