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

/** The first page of a PDF of letters. */
export interface LetterBatchCover {
  authorityCode: string;
  schoolCode: string;
  schoolName: string;
  /** The request file the letters come from. */
  fileName: string;
  /** 1-based */
  part: number;
  parts: number;
  /** Letters in this PDF. */
  letterCount: number;
  /** YYYY-MM-DD */
  issuedOn: string;
}

export type LetterLanguage = 'en' | 'fr';

interface TextPiece {
  readonly text: string;
  readonly bold?: boolean;
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

export interface CoverWording {
  readonly title: string;
  readonly letterCount: Paragraph;
  readonly warningTitle: string;
  readonly warning: Paragraph;
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

// French typography keeps « », : and ; attached to their words with a no-break space.
const nbsp = '\u00a0';
const quoteFr = (text: string): string => `«${nbsp}${text}${nbsp}»`;
const quoteEn = (text: string): string => `“${text}”`;

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

export function letterWording(letter: Letter): LetterWording {
  const forStudent = letter.requester === 'student';
  const grade = letter.grade === null ? '' : ` · ${gradeText(letter.grade, letter.language)}`;
  const email = maskEmail(letter.email);
  if (letter.language === 'fr') {
    const role = forStudent
      ? 'l’élève'
      : letter.relationship === null
        ? null
        : relationshipText(letter.relationship, 'fr');
    return {
      title: 'Votre NIP myPass',
      school: [{ text: `École${nbsp}: ` }, { text: `${letter.schoolName} (${letter.schoolCode})`, bold: true }],
      recipient: [
        { text: `Destinataire${nbsp}: ` },
        { text: letter.recipientName, bold: true },
        { text: role === null ? '' : ` (${role})` },
      ],
      student: [{ text: `Élève${nbsp}: ` }, { text: letter.studentName, bold: true }, { text: grade }],
      intro: [
        {
          text: forStudent
            ? 'Votre école a préparé l’accès en ligne à votre propre dossier scolaire dans myPass. Cette lettre vous est destinée, à vous, l’élève. '
            : 'L’école a préparé votre accès en ligne au dossier scolaire de cet élève dans myPass. ',
        },
        { text: 'Pour l’activer, il vous faut ce NIP et le courriel d’activation qui vous a été envoyé.' },
      ],
      pinLabel: 'Votre NIP à 4 chiffres',
      pinWarning: [
        { text: 'Gardez ce NIP confidentiel. ', bold: true },
        {
          text: `Il n’est affiché qu’une seule fois, sur cette lettre, et n’est conservé nulle part ailleurs${nbsp}: personne, pas même l’école, ne peut le retrouver. Ne le communiquez à personne et ne l’envoyez pas par courriel.`,
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
        [
          {
            text: 'Connectez-vous avec votre compte Éducation ou avec un compte Google ou Microsoft (créez-en un au besoin), puis ouvrez le lien de nouveau.',
          },
        ],
        [
          { text: 'Entrez votre NIP à 4 chiffres et cliquez sur ' },
          { text: quoteFr(ACCEPT_BUTTON_LABEL.fr), bold: true },
          { text: '.' },
        ],
      ],
      expiry: [
        { text: `Ce NIP expire le ${letter.expiresOn}.`, bold: true },
        { text: ' Après cette date, demandez-en un nouveau à l’école.' },
      ],
    };
  }
  const role = forStudent ? 'the student' : letter.relationship;
  return {
    title: 'Your myPass PIN',
    school: [{ text: 'School: ' }, { text: `${letter.schoolName} (${letter.schoolCode})`, bold: true }],
    recipient: [
      { text: 'For: ' },
      { text: letter.recipientName, bold: true },
      { text: role === null ? '' : ` (${role})` },
    ],
    student: [{ text: 'Student: ' }, { text: letter.studentName, bold: true }, { text: grade }],
    intro: [
      {
        text: forStudent
          ? 'Your school has set up online access to your own student record in myPass. This letter is for you, the student. '
          : 'The school has set up your online access to this student’s record in myPass. ',
      },
      { text: 'To turn it on you need this PIN and the activation email that was sent to you.' },
    ],
    pinLabel: 'Your 4-digit PIN',
    pinWarning: [
      { text: 'Keep this PIN private. ', bold: true },
      {
        text: 'It is shown only once, on this letter, and is not kept anywhere else: nobody, not even the school, can look it up again. Do not share it and do not send it by email.',
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
      [
        {
          text: 'Sign in with your Education Account or with a Google or Microsoft account (create one if you need to), then open the link again.',
        },
      ],
      [
        { text: 'Enter your 4-digit PIN and click ' },
        { text: quoteEn(ACCEPT_BUTTON_LABEL.en), bold: true },
        { text: '.' },
      ],
    ],
    expiry: [
      { text: `This PIN expires on ${letter.expiresOn}.`, bold: true },
      { text: ' After that, ask the school for a new one.' },
    ],
  };
}

/** The cover page speaks both languages: whoever prints the file must understand the warning. */
export function coverWording(cover: LetterBatchCover, language: LetterLanguage): CoverWording {
  const count = cover.letterCount;
  if (language === 'fr') {
    return {
      title: 'Lettres de NIP – confidentiel',
      letterCount: [
        { text: 'Ce PDF contient ' },
        { text: `${count} ${count > 1 ? 'lettres' : 'lettre'}`, bold: true },
        { text: ` (partie ${cover.part} de ${cover.parts}), une par page.` },
      ],
      warningTitle: `Attention${nbsp}: ce fichier contient des NIP en clair.`,
      warning: [
        { text: 'Imprimez-le, remettez chaque lettre uniquement à la personne à qui elle est adressée, ' },
        { text: 'puis supprimez ce fichier et déchiquetez les copies en trop ou abîmées.', bold: true },
        { text: ' Ne l’envoyez pas par courriel et n’en gardez pas de copie.' },
      ],
    };
  }
  return {
    title: 'PIN letters – confidential',
    letterCount: [
      { text: 'This PDF holds ' },
      { text: `${count} ${count === 1 ? 'letter' : 'letters'}`, bold: true },
      { text: ` (part ${cover.part} of ${cover.parts}), one per page.` },
    ],
    warningTitle: 'Warning: this file contains PINs in clear text.',
    warning: [
      { text: 'Print it, hand each letter only to the person it is addressed to, ' },
      { text: 'then delete this file and shred any spare or spoiled copies.', bold: true },
      { text: ' Do not email it and do not keep a copy.' },
    ],
  };
}

/** Label and value rows of the cover, labelled in both languages. */
export function coverDetails(cover: LetterBatchCover): readonly Paragraph[] {
  return [
    [{ text: `School / École${nbsp}: ` }, { text: `${cover.schoolName} (${cover.schoolCode})`, bold: true }],
    [{ text: `Authority / Autorité scolaire${nbsp}: ` }, { text: cover.authorityCode, bold: true }],
    [{ text: `Request file / Fichier de demande${nbsp}: ` }, { text: cover.fileName, bold: true }],
    [{ text: `Issued on / Émis le${nbsp}: ` }, { text: cover.issuedOn, bold: true }],
  ];
}

/** Document metadata: identifies the batch, never a person. */
export function documentTitle(cover: LetterBatchCover): string {
  return `PIN letters – ${cover.schoolCode} – part ${cover.part} of ${cover.parts}`;
}
