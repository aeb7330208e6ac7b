import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { create, type Font, type LayoutFeatures } from 'fontkit';

export type FontWeight = 'regular' | 'bold';

/** A parsed font, and the name it is registered under in every PDF document. */
export interface LoadedFont {
  readonly name: string;
  readonly font: Font;
}

/** A stretch of text that one font can draw. */
export interface TextRun {
  readonly font: LoadedFont;
  readonly text: string;
}

interface FontFile {
  readonly name: string;
  readonly packageName: string;
  readonly file: string;
}

const notoSans: Record<FontWeight, FontFile> = {
  regular: {
    name: 'NotoSans-Regular',
    packageName: '@expo-google-fonts/noto-sans',
    file: '400Regular/NotoSans_400Regular.ttf',
  },
  bold: { name: 'NotoSans-Bold', packageName: '@expo-google-fonts/noto-sans', file: '700Bold/NotoSans_700Bold.ttf' },
};
const syllabics: Record<FontWeight, FontFile> = {
  regular: {
    name: 'NotoSansCanadianAboriginal-Regular',
    packageName: '@expo-google-fonts/noto-sans-canadian-aboriginal',
    file: '400Regular/NotoSansCanadianAboriginal_400Regular.ttf',
  },
  bold: {
    name: 'NotoSansCanadianAboriginal-Bold',
    packageName: '@expo-google-fonts/noto-sans-canadian-aboriginal',
    file: '700Bold/NotoSansCanadianAboriginal_700Bold.ttf',
  },
};
// One weight only: each weight of this font is 10 MB, and bold Chinese names are rare enough
// that drawing them in the regular weight is the better trade.
const chinese: FontFile = {
  name: 'NotoSansSC-Regular',
  packageName: '@expo-google-fonts/noto-sans-sc',
  file: '400Regular/NotoSansSC_400Regular.ttf',
};

type FontChain = readonly [FontFile, ...FontFile[]];

// Order matters: the first font with a glyph draws the character, and later fonts are only read
// from disk when an earlier one lacks a glyph (so the Chinese font is loaded on first need).
const chains: Record<FontWeight, FontChain> = {
  regular: [notoSans.regular, syllabics.regular, chinese],
  bold: [notoSans.bold, syllabics.bold, chinese],
};

const requireFromHere = createRequire(import.meta.url);
// Parsed once per process: pdfkit accepts the parsed font as-is, so documents share it.
const loadedFonts = new Map<string, LoadedFont>();

// Noto Sans's ccmp feature splits some precomposed letters (ị into i and a combining dot), and a
// PDF maps each glyph back to one character only, so "Thị" would copy, search and read aloud as
// "Thi". Text is NFC, so the precomposed glyph is always there. pdfkit gets a view of the parsed
// font whose layout leaves ccmp off (pdfkit passes no features, which keeps its layout cache).
const withoutCcmp = { ccmp: false };

// A prototype view rather than a copy: pdfkit reads many other font properties and tables, and
// these must stay the ones fontkit parsed (and caches) on the original.
function withoutDecomposition(parsed: Font): Font {
  const layout = (text: string, features?: LayoutFeatures): unknown => parsed.layout(text, features ?? withoutCcmp);
  return Object.create(parsed, { layout: { value: layout } }) as Font;
}

function load(file: FontFile): LoadedFont {
  const cached = loadedFonts.get(file.name);
  if (cached) return cached;
  const packageFolder = path.dirname(requireFromHere.resolve(`${file.packageName}/package.json`));
  const parsed = create(readFileSync(path.join(packageFolder, file.file)));
  const loaded: LoadedFont = { name: file.name, font: withoutDecomposition(parsed) };
  loadedFonts.set(file.name, loaded);
  return loaded;
}

/** The font that draws most of the text; its metrics place lines. */
export function primaryFont(weight: FontWeight): LoadedFont {
  return load(chains[weight][0]);
}

// Spacing, punctuation, symbols and combining marks belong to no script: they stay in the run
// around them, so "王小明 (Mother)" only switches font where the script does.
const scriptNeutral = /[\p{Z}\p{P}\p{S}\p{M}]/u;
const whitespaceOrControl = /[\s\p{C}]/u;

function fontFor(codePoint: number, chain: FontChain): LoadedFont {
  for (const file of chain) {
    const candidate = load(file);
    if (candidate.font.hasGlyphForCodePoint(codePoint)) return candidate;
  }
  // No font can draw it: the primary font prints its missing-glyph box rather than dropping it.
  return load(chain[0]);
}

/** Splits text into runs, each drawable by one font of the chain for that weight. */
export function splitIntoRuns(text: string, weight: FontWeight): TextRun[] {
  const chain = chains[weight];
  const runs: { font: LoadedFont; text: string }[] = [];
  for (const char of text.normalize('NFC')) {
    const codePoint = char.codePointAt(0) ?? 0;
    const current = runs.at(-1);
    let font: LoadedFont;
    if (whitespaceOrControl.test(char)) {
      font = current?.font ?? load(chain[0]);
    } else if (current && scriptNeutral.test(char) && current.font.font.hasGlyphForCodePoint(codePoint)) {
      font = current.font;
    } else {
      font = fontFor(codePoint, chain);
    }
    if (current && current.font === font) current.text += char;
    else runs.push({ font, text: char });
  }
  return runs;
}
