import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { create, type Font, type Glyph, type GlyphRun } from 'fontkit';

export type FontWeight = 'regular' | 'bold';

/** A parsed font, and the name it is registered under in every PDF document. */
export interface LoadedFont {
  readonly name: string;
  readonly font: Font;
}

interface FontFile {
  readonly name: string;
  readonly packageName: string;
  readonly file: string;
}

interface Weights {
  readonly regular: FontFile;
  /** Absent: bold text is drawn in the regular weight. */
  readonly bold?: FontFile;
}

/** The weights of one script's family, and the characters it is the first choice for. */
interface Family extends Weights {
  /** By Unicode script extensions, so shared marks (ー, the Arabic comma) find their script's font. */
  readonly characters: RegExp;
}

const fontFile = (pkg: string, family: string, weight: '400Regular' | '700Bold'): FontFile => ({
  name: `${family}-${weight === '400Regular' ? 'Regular' : 'Bold'}`,
  packageName: `@expo-google-fonts/${pkg}`,
  file: `${weight}/${family}_${weight}.ttf`,
});
const bothWeights = (pkg: string, family: string) => ({
  regular: fontFile(pkg, family, '400Regular'),
  bold: fontFile(pkg, family, '700Bold'),
});

// Latin (with French and Vietnamese), Greek, Cyrillic and Devanagari; and what belongs to no script.
const base: Weights = bothWeights('noto-sans', 'NotoSans');
// One weight only: a weight of Noto Sans SC is 10 MB and one of Noto Sans KR 6 MB, and bold
// Chinese, Japanese or Korean names are rare enough that the regular weight is the better trade.
const chinese: Family = {
  regular: fontFile('noto-sans-sc', 'NotoSansSC', '400Regular'),
  characters: /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Bopomofo}]/u,
};
// A family is read from disk only when a character of its script is drawn or checked.
const scriptFamilies: readonly Family[] = [
  {
    ...bothWeights('noto-sans-canadian-aboriginal', 'NotoSansCanadianAboriginal'),
    characters: /\p{scx=Canadian_Aboriginal}/u,
  },
  chinese,
  { regular: fontFile('noto-sans-kr', 'NotoSansKR', '400Regular'), characters: /\p{scx=Hangul}/u },
  // Arabic, Persian, Urdu and Punjabi in Shahmukhi.
  { ...bothWeights('noto-sans-arabic', 'NotoSansArabic'), characters: /\p{scx=Arabic}/u },
  { ...bothWeights('noto-sans-hebrew', 'NotoSansHebrew'), characters: /\p{scx=Hebrew}/u },
  { ...bothWeights('noto-sans-gurmukhi', 'NotoSansGurmukhi'), characters: /\p{scx=Gurmukhi}/u },
  { ...bothWeights('noto-sans-bengali', 'NotoSansBengali'), characters: /\p{scx=Bengali}/u },
  { ...bothWeights('noto-sans-tamil', 'NotoSansTamil'), characters: /\p{scx=Tamil}/u },
  { ...bothWeights('noto-sans-thai', 'NotoSansThai'), characters: /\p{scx=Thai}/u },
  // Amharic and Tigrinya.
  { ...bothWeights('noto-sans-ethiopic', 'NotoSansEthiopic'), characters: /\p{scx=Ethiopic}/u },
];

const requireFromHere = createRequire(import.meta.url);
// Parsed once per process: pdfkit accepts the parsed font as-is, so documents share it.
const loadedFonts = new Map<string, LoadedFont>();

// fontkit 2.0.4 throws on some mark-positioning anchors it cannot read (Noto Sans Gurmukhi's
// above-base marks in ਹਰਪ੍ਰੀਤ): the run is laid out again without those lookups, then without
// any mark positioning. The marks then keep their default place, which still reads right.
const featureFallbacks: readonly Readonly<Record<string, boolean>>[] = [
  {},
  { abvm: false, blwm: false },
  { abvm: false, blwm: false, mark: false, mkmk: false, dist: false },
];

// A PDF maps each glyph back to its characters, so copying, searching and reading aloud use that
// mapping. Mark composition (ccmp) breaks it: Noto Sans splits ị into i and a combining dot
// ("Thị" reads back "Thi"), Noto Sans Arabic moves letters' dots onto glyphs of their own, Noto
// Sans Thai splits ำ. Text is NFC, so precomposed glyphs are there; ccmp stays off in every font.
const withoutCcmp = { ccmp: false };

// A substitution that splits a character into several glyphs (Noto Sans Arabic draws ی inside
// a word as a dotless letter and its dots) leaves the extra glyphs standing for no character,
// which readers turn into a stray control character inside the name. They stand for an
// invisible word joiner instead, which text extraction leaves out.
const wordJoiner = [0x2060];
function readable(run: GlyphRun): GlyphRun {
  if (run.glyphs.every((glyph) => glyph.codePoints.length > 0)) return run;
  run.glyphs = run.glyphs.map(
    (glyph): Glyph =>
      glyph.codePoints.length > 0 ? glyph : Object.create(glyph, { codePoints: { value: wordJoiner } }),
  );
  return run;
}

function layoutOf(parsed: Font, text: string): GlyphRun {
  let failure: unknown = null;
  for (const fallback of featureFallbacks) {
    try {
      // A new object for every call: fontkit writes the features it applied into it.
      return readable(parsed.layout(text, { ...withoutCcmp, ...fallback }));
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

// A prototype view rather than a copy: pdfkit reads many other font properties and tables, and
// these must stay the ones fontkit parsed (and caches) on the original. pdfkit's features are
// not passed on: the letters give some only to make pdfkit lay a run out whole (see drawable).
// Subsets come from a parse of their own: fontkit keeps one object per glyph, holding the
// characters of the first request for it, and a subset asks for glyphs with none (the parts of
// composite glyphs, as a document ends). Shared, later letters would draw س unjoined (the Arabic
// shaper joins by those characters) and read it back as nothing.
function forLetters(parsed: Font, forSubsets: Font): Font {
  return Object.create(parsed, {
    layout: { value: (text: string) => layoutOf(parsed, text) },
    createSubset: { value: () => forSubsets.createSubset() },
  }) as Font;
}

function load(file: FontFile): LoadedFont {
  const cached = loadedFonts.get(file.name);
  if (cached) return cached;
  const packageFolder = path.dirname(requireFromHere.resolve(`${file.packageName}/package.json`));
  const data = readFileSync(path.join(packageFolder, file.file));
  const loaded: LoadedFont = { name: file.name, font: forLetters(create(data), create(data)) };
  loadedFonts.set(file.name, loaded);
  return loaded;
}

const inWeight = (family: Weights, weight: FontWeight): LoadedFont => load(family[weight] ?? family.regular);

/** The font that draws most of the text; its metrics place lines. */
export function primaryFont(weight: FontWeight): LoadedFont {
  return inWeight(base, weight);
}

// Spacing, punctuation, symbols and combining marks stay in the run around them when its font has
// them, so "王小明 (Mother)" only switches font where the script does.
const scriptNeutral = /[\p{Z}\p{P}\p{S}\p{M}]/u;
const whitespaceOrFormat = /[\s\p{Cc}\p{Cf}]/u;
// Laid out as nothing in any font (fontkit's list): ZWNJ in Persian names, soft hyphens.
const defaultIgnorables: readonly (readonly [number, number])[] = [
  [0xad, 0xad],
  [0x34f, 0x34f],
  [0x61c, 0x61c],
  [0x17b4, 0x17b5],
  [0x180b, 0x180e],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xfff0, 0xfff8],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0000, 0xe0fff],
];
const isDefaultIgnorable = (codePoint: number): boolean =>
  defaultIgnorables.some(([from, to]) => codePoint >= from && codePoint <= to);
// Symbols and punctuation of no script that Noto Sans lacks (CJK punctuation, fullwidth forms).
const noScript = /[\p{sc=Zyyy}\p{sc=Zinh}]/u;

// The choice for a character, without a run around it, is always the same.
const chosen = new Map<string, LoadedFont | null>();
const chosenLimit = 50_000;

/**
 * The font that draws a character: the current run's for spacing and punctuation it has, else
 * the first of the character's script's family, Noto Sans, and for characters of no script the
 * Chinese font. Null when no bundled font has it (an unsupported script, a private-use character).
 */
export function fontFor(char: string, current: LoadedFont | null, weight: FontWeight): LoadedFont | null {
  const codePoint = char.codePointAt(0) ?? 0;
  if (whitespaceOrFormat.test(char)) {
    // Not every font has every space (U+3000): the primary font's, or the first that has it, then.
    if (current?.font.hasGlyphForCodePoint(codePoint) || isDefaultIgnorable(codePoint))
      return current ?? primaryFont(weight);
  } else if (current && scriptNeutral.test(char) && current.font.hasGlyphForCodePoint(codePoint)) return current;
  const key = `${weight}${char}`;
  const known = chosen.get(key);
  if (known !== undefined) return known;
  if (chosen.size >= chosenLimit) chosen.clear();
  const font = firstWithGlyph(char, codePoint, weight);
  chosen.set(key, font);
  return font;
}

function firstWithGlyph(char: string, codePoint: number, weight: FontWeight): LoadedFont | null {
  const candidates = [
    ...scriptFamilies.filter((family) => family.characters.test(char)),
    base,
    ...(noScript.test(char) ? [chinese] : []),
  ];
  for (const family of candidates) {
    const candidate = inWeight(family, weight);
    if (candidate.font.hasGlyphForCodePoint(codePoint)) return candidate;
  }
  return null;
}

/**
 * Whether the run lays out without an error and without the missing-glyph box (glyph 0), split
 * exactly as pdfkit will lay it out: word by word (each with the space after it), or whole when
 * it is given features, as right-to-left runs are so that fontkit reverses the whole run and a
 * name's words keep their order.
 */
export function drawable(loaded: LoadedFont, text: string, whole: boolean): boolean {
  if (!whole && plain.test(text) && !combiningMark.test(text)) return true;
  return (whole ? [text] : text.split(/(?<=[ \t])/)).every((part) => drawablePart(loaded, part));
}

// Most of a letter: fontFor has found a glyph for every character, and without combining marks
// or a script that is shaped, fontkit only kerns (what throws is mark positioning).
const plain = /^[\p{scx=Latin}\p{scx=Greek}\p{scx=Cyrillic}\p{sc=Common}]*$/u;
const combiningMark = /\p{M}/u;

// The letters' own words recur on every letter: each is laid out once per font (as pdfkit caches
// its layouts per document). Bounded, as names pass through it too.
const probed = new Map<string, boolean>();
const probedLimit = 20_000;

function drawablePart(loaded: LoadedFont, part: string): boolean {
  const key = `${loaded.name}\u0000${part}`;
  const earlier = probed.get(key);
  if (earlier !== undefined) return earlier;
  let result: boolean;
  try {
    result = loaded.font.layout(part).glyphs.every((glyph) => glyph.id !== 0);
  } catch {
    result = false;
  }
  if (probed.size >= probedLimit) probed.clear();
  probed.set(key, result);
  return result;
}
