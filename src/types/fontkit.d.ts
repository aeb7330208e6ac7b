// fontkit ships no types; this covers only what src/letters uses.
declare module 'fontkit' {
  /** Tags to turn on, or tags mapped to on/off. fontkit writes the features it chose into the object. */
  export type LayoutFeatures = readonly string[] | Record<string, boolean>;

  export interface Glyph {
    /** 0 is the font's missing-glyph box (.notdef). */
    readonly id: number;
    /** The characters the glyph stands for; empty for a piece a substitution split off. */
    readonly codePoints: readonly number[];
    readonly advanceWidth: number;
  }

  export interface GlyphRun {
    glyphs: Glyph[];
    readonly positions: unknown[];
    readonly direction: 'ltr' | 'rtl';
  }

  export interface Font {
    readonly postscriptName: string;
    /** In font units; divide by unitsPerEm and multiply by the font size to get points. */
    readonly ascent: number;
    readonly unitsPerEm: number;
    hasGlyphForCodePoint(codePoint: number): boolean;
    /** pdfkit embeds the glyphs a document uses through one of these. */
    createSubset(): unknown;
    // pdfkit recognises a parsed font by this method and uses it as-is instead of re-parsing.
    layout(text: string, features?: LayoutFeatures): GlyphRun;
  }

  /** Given a single font file (not a collection), returns that font. */
  export function create(buffer: Uint8Array, postscriptName?: string): Font;
}
