// fontkit ships no types; this covers only what src/letters uses.
declare module 'fontkit' {
  /** Tags to turn on, or tags mapped to on/off. */
  export type LayoutFeatures = readonly string[] | Readonly<Record<string, boolean>>;

  export interface Font {
    readonly postscriptName: string;
    /** In font units; divide by unitsPerEm and multiply by the font size to get points. */
    readonly ascent: number;
    readonly unitsPerEm: number;
    hasGlyphForCodePoint(codePoint: number): boolean;
    // pdfkit recognises a parsed font by this method and uses it as-is instead of re-parsing.
    layout(text: string, features?: LayoutFeatures): unknown;
  }

  /** Given a single font file (not a collection), returns that font. */
  export function create(buffer: Uint8Array, postscriptName?: string): Font;
}
