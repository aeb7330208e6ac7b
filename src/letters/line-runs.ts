import type { Bidi } from 'bidi-js';
import bidiModule from 'bidi-js';
import { drawable, type FontWeight, fontFor, type LoadedFont, primaryFont } from './fonts.ts';
import type { LetterField, LetterPeople, Paragraph } from './letter-text.ts';
import { peopleLines } from './letter-text.ts';

/** A stretch of one piece of a paragraph that one font draws in one direction. */
export interface LineRun {
  readonly font: LoadedFont;
  readonly text: string;
  /** The bidi embedding level: odd is right to left. */
  readonly level: number;
}

export const isRightToLeft = (run: LineRun): boolean => run.level % 2 === 1;

// bidi-js's types describe an ES module's default export, but the package is CommonJS and its
// module.exports is the factory itself, which is what Node hands an ES module as the default.
const bidi = (bidiModule as unknown as () => Bidi)();
// They steer the order and are then removed (UAX #9, X9): drawn, they would read back as spaces.
const bidiControls = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
// Characters of the right-to-left blocks and controls: a line without any is left to right
// throughout, and skips the bidi algorithm.
const mayBeRightToLeft =
  /[\u0590-\u08ff\u200f\u202b\u202e\u2067\ufb1d-\ufdff\ufe70-\ufefe\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;
// A line break or tab inside a name must not push the rest of the letter down the page.
const breaks = /[\r\n\t\v\f\u2028\u2029]+/g;

/** Where a value no bundled font can draw would go: a line to write it in by hand. */
const handwritingBlank = '_'.repeat(24);

interface Runs {
  /** In logical order. */
  readonly runs: LineRun[];
  /** Indexes of the pieces with a character no bundled font has, or a run fontkit cannot lay out. */
  readonly unprintable: ReadonlySet<number>;
}

interface PieceRun {
  font: LoadedFont;
  text: string;
  level: number;
  piece: number;
}

function runsOf(paragraph: Paragraph): Runs {
  const texts = paragraph.map((piece) => piece.text.replace(breaks, ' ').normalize('NFC'));
  const whole = texts.join('');
  // A letter reads left to right; a right-to-left name (or part of one) is ordered inside it.
  const levels = mayBeRightToLeft.test(whole) ? bidi.getEmbeddingLevels(whole, 'ltr').levels : null;
  const mirrored = levels ? bidi.getMirroredCharactersMap(whole, levels) : new Map<number, string>();
  const runs: PieceRun[] = [];
  const unprintable = new Set<number>();
  let offset = 0;
  texts.forEach((text, piece) => {
    const weight: FontWeight = paragraph[piece]?.bold ? 'bold' : 'regular';
    // Runs never span pieces, so a piece that cannot be drawn can be left out alone.
    let current = null as PieceRun | null;
    for (const char of text) {
      const index = offset;
      offset += char.length;
      if (bidiControls.test(char)) continue;
      const level = levels?.[index] ?? 0;
      // fontkit reverses a right-to-left run but does not swap brackets: "(" must look like ")".
      let shown = mirrored.get(index) ?? char;
      const previous: LoadedFont | null = current?.font ?? null;
      let font = fontFor(shown, previous, weight);
      if (font === null && /\s/u.test(shown)) {
        // A space no font has (U+3000 in Hebrew) is drawn as a plain one.
        shown = ' ';
        font = previous ?? primaryFont(weight);
      }
      if (font === null) unprintable.add(piece);
      else if (current && current.font === font && current.level === level) current.text += shown;
      else {
        current = { font, text: shown, level, piece };
        runs.push(current);
      }
    }
  });
  for (const run of runs) if (!drawable(run.font, run.text, isRightToLeft(run))) unprintable.add(run.piece);
  return { runs: runs.map(({ font, text, level }) => ({ font, text, level })), unprintable };
}

/**
 * The runs a paragraph is drawn with, in logical order. A piece that no bundled font can draw,
 * even in part, or that fontkit cannot lay out, is never drawn as boxes: a blank line takes its
 * place (a name half printed would pass for the whole one).
 */
export function printableRuns(paragraph: Paragraph): LineRun[] {
  const first = runsOf(paragraph);
  if (first.unprintable.size === 0) return first.runs;
  return runsOf(
    paragraph.map((piece, index) => (first.unprintable.has(index) ? { ...piece, text: handwritingBlank } : piece)),
  ).runs;
}

/** The runs of one line from left to right (UAX #9, L2): each right-to-left stretch reversed. */
export function visualOrder(runs: readonly LineRun[]): LineRun[] {
  const ordered = [...runs];
  const highest = Math.max(0, ...runs.map((run) => run.level));
  for (let level = highest; level >= 1; level--) {
    let start = 0;
    while (start < ordered.length) {
      if ((ordered[start]?.level ?? 0) < level) {
        start++;
        continue;
      }
      let end = start;
      while (end < ordered.length && (ordered[end]?.level ?? 0) >= level) end++;
      ordered.splice(start, end - start, ...ordered.slice(start, end).reverse());
      start = end;
    }
  }
  return ordered;
}

/** The run an ellipsis is drawn in after text cut short: the line's own direction, left to right. */
export function ellipsisAfter(last: LineRun | undefined): LineRun {
  const font = last && !isRightToLeft(last) && last.font.font.hasGlyphForCodePoint(0x2026) ? last.font : null;
  return { font: font ?? primaryFont('regular'), text: '…', level: 0 };
}

/**
 * The names on a letter that no bundled font can draw: the letter leaves a blank line for each,
 * for the school to write the name in by hand. Checks the lines exactly as the letter draws them.
 */
export function namesToWriteByHand(people: LetterPeople): LetterField[] {
  const fields = new Set<LetterField>();
  const { recipient, student } = peopleLines(people);
  for (const line of [recipient, student]) {
    for (const index of runsOf(line).unprintable) {
      const field = line[index]?.field;
      if (field) fields.add(field);
    }
  }
  return [...fields];
}
