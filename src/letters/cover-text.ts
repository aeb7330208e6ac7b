import type { LetterLanguage, Paragraph } from './letter-text.ts';

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

export interface CoverWording {
  readonly title: string;
  readonly letterCount: Paragraph;
  readonly warningTitle: string;
  readonly warning: Paragraph;
}

// French typography keeps « », : and ; attached to their words with a no-break space.
const nbsp = '\u00a0';

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
