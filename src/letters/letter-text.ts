/** What one PIN letter is about. The PIN itself is never part of the wording below. */
export interface Letter {
  schoolCode: string;
  schoolName: string;
  requester: 'student' | 'parent_guardian';
  /** The parent/guardian's name, or the student's own name for student rows. */
  recipientName: string;
  /** E.g. 'Mother', 'Guardian'; null for student rows. */
  relationship: string | null;
  studentName: string;
  /** 'K', '1'..'12' */
  grade: string | null;
  /** Where the activation email went; printed masked. */
  email: string;
  /** 4 digits */
  pin: string;
  /** YYYY-MM-DD */
  expiresOn: string;
  language: LetterLanguage;
}

export type LetterLanguage = 'en' | 'fr';

/** A value from the request or the records printed on a letter, which the school may have to write in. */
export type LetterField = 'name' | 'relationship' | 'student name';

interface TextPiece {
  readonly text: string;
  readonly bold?: boolean;
  readonly field?: LetterField;
}
/** Text drawn as one flow, possibly mixing weights. */
export type Paragraph = readonly TextPiece[];

export interface LetterWording {
  readonly title: string;
  readonly school: Paragraph;
  readonly recipient: Paragraph;
  readonly student: Paragraph;
  readonly intro: Paragraph;
  readonly pinLabel: string;
  readonly pinWarning: Paragraph;
  readonly stepsTitle: string;
  readonly steps: readonly Paragraph[];
  readonly expiry: Paragraph;
}

/**
 * The subject of the activation email and the labels of the myPass screens the steps refer to.
 * The person looks for these exact words, so the email and the letter must use the same ones.
 */
export const ACTIVATION_EMAIL_SUBJECT: Record<LetterLanguage, string> = {
  en: 'myPass Activation – DO NOT DELETE',
  fr: 'Activation myPass – NE PAS SUPPRIMER',
};
export const ACTIVATE_LINK_LABEL: Record<LetterLanguage, string> = {
  en: 'Activate Connection',
  fr: 'Activer la connexion',
};
export const ACCEPT_BUTTON_LABEL: Record<LetterLanguage, string> = {
  en: 'Accept and Activate the Connection',
  fr: 'Accepter et activer la connexion',
};

/**
 * The steps after the link (docs/rules.md §5): sign in, then the PIN. The letter, the email and the
 * activation page say them in these words; the PIN step goes around the button's label.
 */
export const SIGN_IN_STEP: Record<LetterLanguage, string> = {
  en:
    'Sign in with your Education Account, or with a Google or Microsoft account. If you do not have one, ' +
    'create one, then click the link in the email again.',
  fr:
    'Connectez-vous avec votre compte Éducation, ou avec un compte Google ou Microsoft. Si vous n’en avez ' +
    'pas, créez-en un, puis cliquez de nouveau sur le lien du courriel.',
};
export const PIN_STEP: Record<LetterLanguage, { before: string; after: string }> = {
  en: { before: 'Enter the 4-digit PIN of your letter and click ', after: '.' },
  fr: { before: 'Entrez le NIP à 4 chiffres de votre lettre et cliquez sur ', after: '.' },
};

// French typography keeps « », : and ; attached to their words with a no-break space.
const nbsp = '\u00a0';
const quoteFr = (text: string): string => `«${nbsp}${text}${nbsp}»`;
const quoteEn = (text: string): string => `“${text}”`;
/** A label the person looks for on screen, quoted as each language quotes. */
export const quoteLabel = (language: LetterLanguage, text: string): string =>
  language === 'fr' ? quoteFr(text) : quoteEn(text);

/** Shows where the email went without printing the whole address on paper: j•••@example.com. */
function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const firstCharacter = Array.from(email)[0] ?? '';
  if (at <= 0) return `${firstCharacter}•••`;
  const domain = email.slice(at + 1);
  // Keeps an absurd domain from crowding the steps off the page; the end is the part people recognise.
  const shownDomain = domain.length > 48 ? `…${domain.slice(-47)}` : domain;
  return `${firstCharacter}•••@${shownDomain}`;
}

function gradeText(grade: string, language: LetterLanguage): string {
  if (language === 'en') return grade === 'K' ? 'Kindergarten' : `Grade ${grade}`;
  if (grade === 'K') return 'maternelle';
  if (grade === '1') return '1re année';
  return /^\d+$/.test(grade) ? `${grade}e année` : `niveau ${grade}`;
}

// Relationships arrive as English words from the request file; the common ones get their French
// name, any other is printed as given rather than guessed at.
const relationshipsInFrench: Record<string, string> = {
  mother: 'mère',
  father: 'père',
  parent: 'parent',
  guardian: 'tuteur ou tutrice',
  stepmother: 'belle-mère',
  stepfather: 'beau-père',
  grandmother: 'grand-mère',
  grandfather: 'grand-père',
  aunt: 'tante',
  uncle: 'oncle',
};

function relationshipText(relationship: string, language: LetterLanguage): string {
  if (language === 'en') return relationship;
  return relationshipsInFrench[relationship.trim().toLowerCase()] ?? relationship;
}

/** What a letter prints about the people: the recipient (and relationship) and the student. */
export type LetterPeople = Pick<
  Letter,
  'requester' | 'recipientName' | 'relationship' | 'studentName' | 'grade' | 'language'
>;

/** The two lines that name the people; the names are in pieces of their own, marked by field. */
export function peopleLines(people: LetterPeople): Pick<LetterWording, 'recipient' | 'student'> {
  const french = people.language === 'fr';
  const forStudent = people.requester === 'student';
  const relationship = people.relationship === null ? null : relationshipText(people.relationship, people.language);
  const role: Paragraph = forStudent
    ? [{ text: french ? ' (l’élève)' : ' (the student)' }]
    : relationship === null
      ? []
      : [{ text: ' (' }, { text: relationship, field: 'relationship' }, { text: ')' }];
  const grade = people.grade === null ? '' : ` · ${gradeText(people.grade, people.language)}`;
  return {
    recipient: [
      { text: french ? `Destinataire${nbsp}: ` : 'For: ' },
      { text: people.recipientName, bold: true, field: forStudent ? 'student name' : 'name' },
      ...role,
    ],
    student: [
      { text: french ? `Élève${nbsp}: ` : 'Student: ' },
      { text: people.studentName, bold: true, field: 'student name' },
      { text: grade },
    ],
  };
}

export function letterWording(letter: Letter): LetterWording {
  const forStudent = letter.requester === 'student';
  const email = maskEmail(letter.email);
  if (letter.language === 'fr') {
    return {
      title: 'Votre NIP myPass',
      school: [{ text: `École${nbsp}: ` }, { text: `${letter.schoolName} (${letter.schoolCode})`, bold: true }],
      ...peopleLines(letter),
      intro: [
        {
          text: forStudent
            ? 'Votre école a préparé l’accès en ligne à votre propre dossier scolaire dans myPass. Cette lettre ' +
              'vous est destinée, à vous, l’élève. '
            : 'L’école a préparé votre accès en ligne au dossier scolaire de cet élève dans myPass. ',
        },
        { text: 'Pour l’activer, il vous faut ce NIP et le courriel d’activation qui vous a été envoyé.' },
      ],
      pinLabel: 'Votre NIP à 4 chiffres',
      pinWarning: [
        { text: 'Gardez ce NIP confidentiel. ', bold: true },
        {
          text:
            `Il n’est affiché qu’une seule fois, sur cette lettre, et n’est conservé nulle part ` +
            `ailleurs${nbsp}: personne, pas même l’école, ne peut le retrouver. Ne le communiquez à personne et ` +
            `ne l’envoyez pas par courriel.`,
        },
      ],
      stepsTitle: 'Pour activer votre accès',
      steps: [
        [
          { text: 'Repérez le courriel intitulé ' },
          { text: quoteFr(ACTIVATION_EMAIL_SUBJECT.fr), bold: true },
          { text: ` envoyé à ${email}.` },
        ],
        [
          { text: 'Cliquez sur le lien ' },
          { text: quoteFr(ACTIVATE_LINK_LABEL.fr), bold: true },
          { text: ' dans ce courriel.' },
        ],
        [{ text: SIGN_IN_STEP.fr }],
        [
          { text: PIN_STEP.fr.before },
          { text: quoteFr(ACCEPT_BUTTON_LABEL.fr), bold: true },
          { text: PIN_STEP.fr.after },
        ],
      ],
      expiry: [
        { text: `Ce NIP expire le ${letter.expiresOn}.`, bold: true },
        { text: ' Après cette date, demandez-en un nouveau à l’école.' },
      ],
    };
  }
  return {
    title: 'Your myPass PIN',
    school: [{ text: 'School: ' }, { text: `${letter.schoolName} (${letter.schoolCode})`, bold: true }],
    ...peopleLines(letter),
    intro: [
      {
        text: forStudent
          ? 'Your school has set up online access to your own student record in myPass. This letter is for you, ' +
            'the student. '
          : 'The school has set up your online access to this student’s record in myPass. ',
      },
      { text: 'To turn it on you need this PIN and the activation email that was sent to you.' },
    ],
    pinLabel: 'Your 4-digit PIN',
    pinWarning: [
      { text: 'Keep this PIN private. ', bold: true },
      {
        text:
          'It is shown only once, on this letter, and is not kept anywhere else: nobody, not even the ' +
          'school, can look it up again. Do not share it and do not send it by email.',
      },
    ],
    stepsTitle: 'To activate your access',
    steps: [
      [
        { text: 'Find the email titled ' },
        { text: quoteEn(ACTIVATION_EMAIL_SUBJECT.en), bold: true },
        { text: ` sent to ${email}.` },
      ],
      [{ text: 'Click the ' }, { text: quoteEn(ACTIVATE_LINK_LABEL.en), bold: true }, { text: ' link in that email.' }],
      [{ text: SIGN_IN_STEP.en }],
      [
        { text: PIN_STEP.en.before },
        { text: quoteEn(ACCEPT_BUTTON_LABEL.en), bold: true },
        { text: PIN_STEP.en.after },
      ],
    ],
    expiry: [
      { text: `This PIN expires on ${letter.expiresOn}.`, bold: true },
      { text: ' After that, ask the school for a new one.' },
    ],
  };
}
