import { once } from 'node:events';
import { constants, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import PDFDocument from 'pdfkit';
import { coverDetails, coverWording, documentTitle, type LetterBatchCover } from './cover-text.ts';
import { type LoadedFont, primaryFont } from './fonts.ts';
import { type Letter, letterWording, type Paragraph } from './letter-text.ts';
import { ellipsisAfter, isRightToLeft, type LineRun, printableRuns, visualOrder } from './line-runs.ts';

export type { LetterBatchCover } from './cover-text.ts';
export type { Letter } from './letter-text.ts';

const margin = 54;
const pageWidth = 612; // US Letter, in points
const pageHeight = 792;
const contentWidth = pageWidth - 2 * margin;
const bottom = pageHeight - margin;
const warningRed = '#9b1c1c';
const textBlack = '#000000';

interface LineStyle {
  readonly size: number;
  /** Long values shrink down to this size before they are cut short with an ellipsis. */
  readonly minSize?: number;
  readonly characterSpacing?: number;
  readonly align?: 'left' | 'center';
  /** From both margins. */
  readonly indent?: number;
}

interface ParagraphStyle {
  readonly size: number;
  readonly indent?: number;
}

// Every line is placed by its alphabetic baseline, so runs in fonts with different ascenders
// (Latin next to Chinese) share one baseline.
const ascent = (size: number): number => {
  const { font } = primaryFont('regular');
  return (font.ascent / font.unitsPerEm) * size;
};
const lineHeight = (size: number): number => size * 1.4;
// Spaced out to read easily, yet under a tenth of the 44 pt size: wider gaps make PDF text
// extraction (search, copy, screen readers) see "0 4 7 2" instead of the PIN.
const pinSpacing = 3.5;

/** One PDF of letters: a cover page, then one letter per page. Streams to disk page by page. */
export class LetterPdf {
  private readonly registeredFonts = new Set<string>();
  private pagesAdded = 0;
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    private readonly doc: PDFKit.PDFDocument,
    private readonly file: WriteStream,
  ) {
    doc.on('pageAdded', () => this.pagesAdded++);
    file.on('error', (error: Error) => (this.failure ??= error));
  }

  /** Creates the file (readable by its owner only, as it holds PINs) and draws the cover page. */
  static open(target: string, cover: LetterBatchCover): LetterPdf {
    const doc = new PDFDocument({
      size: 'LETTER',
      margins: { top: margin, bottom: margin, left: margin, right: margin },
      autoFirstPage: false,
      info: { Title: documentTitle(cover) },
    });
    // Created here, exclusively and never through a link: a name already taken fails the run.
    const fd = openSync(
      target,
      constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_WRONLY,
      0o600,
    );
    const file = createWriteStream(target, { fd, autoClose: true });
    doc.pipe(file);
    const pdf = new LetterPdf(doc, file);
    pdf.drawCover(cover);
    return pdf;
  }

  /** Adds one letter on a page of its own. */
  async add(letter: Letter): Promise<void> {
    this.throwIfUnusable();
    const pagesBefore = this.pagesAdded;
    this.drawLetter(letter);
    // A letter spilling onto a second page would hand its end, or the next PIN, to the wrong person.
    if (this.pagesAdded !== pagesBefore + 1) throw new Error('A PIN letter did not fit on one page.');
    // pdfkit pushes finished pages without waiting: one turn lets them reach the file, and waiting
    // for 'drain' keeps memory flat however many letters the PDF holds.
    await nextTurn();
    this.throwIfUnusable();
    if (this.file.writableNeedDrain) await once(this.file, 'drain');
  }

  /** Ends the document; resolves once the file is completely written and closed. */
  async close(): Promise<void> {
    if (this.closed) throw new Error('The letter PDF is already closed.');
    this.closed = true;
    if (this.failure) throw this.failure;
    this.doc.end();
    await finished(this.file);
  }

  private throwIfUnusable(): void {
    if (this.closed) throw new Error('The letter PDF is already closed.');
    if (this.failure) throw this.failure;
  }

  private drawCover(cover: LetterBatchCover): void {
    this.doc.addPage();
    let top = margin;
    for (const language of ['en', 'fr'] as const) {
      const wording = coverWording(cover, language);
      top = this.drawLine([{ text: wording.title, bold: true }], top, { size: language === 'en' ? 22 : 18 }) + 4;
    }
    top += 16;
    for (const language of ['en', 'fr'] as const) {
      top = this.drawParagraph(coverWording(cover, language).letterCount, top, { size: 13 }) + 4;
    }
    top += 16;
    for (const detail of coverDetails(cover)) top = this.drawLine(detail, top, { size: 11, minSize: 7 }) + 2;
    top += 28;
    for (const language of ['en', 'fr'] as const) {
      const wording = coverWording(cover, language);
      top = this.drawWarningBox([{ text: wording.warningTitle, bold: true }], wording.warning, top, 12) + 16;
    }
  }

  private drawLetter(letter: Letter): void {
    const wording = letterWording(letter);
    this.doc.addPage();
    let top = margin;
    top = this.drawLine([{ text: wording.title, bold: true }], top, { size: 20 }) + 10;
    for (const line of [wording.school, wording.recipient, wording.student]) {
      top = this.drawLine(line, top, { size: 11, minSize: 7 }) + 3;
    }
    top = this.drawParagraph(wording.intro, top + 12, { size: 10.5 }) + 20;

    top = this.drawLine([{ text: wording.pinLabel }], top, { size: 12, align: 'center' }) + 2;
    // The only place the PIN is ever drawn: no barcode, no metadata, nothing on the cover.
    top =
      this.drawLine([{ text: letter.pin, bold: true }], top, {
        size: 44,
        characterSpacing: pinSpacing,
        align: 'center',
      }) + 12;
    top = this.drawWarningBox([], wording.pinWarning, top, 10.5) + 22;

    top = this.drawLine([{ text: wording.stepsTitle, bold: true }], top, { size: 13 }) + 6;
    wording.steps.forEach((step, index) => {
      this.drawLine([{ text: `${index + 1}.`, bold: true }], top, { size: 10.5 });
      top = this.drawParagraph(step, top, { size: 10.5, indent: 18 }) + 6;
    });
    this.drawParagraph(wording.expiry, top + 10, { size: 11 });
  }

  /** A bordered block in the warning colour; returns where the next block starts. */
  private drawWarningBox(heading: Paragraph, body: Paragraph, top: number, size: number): number {
    const padding = 10;
    let textTop = top + padding;
    this.doc.fillColor(warningRed);
    if (heading.length > 0)
      textTop = this.drawLine(heading, textTop, { size: size + 1, minSize: size, indent: padding }) + 3;
    const textBottom = this.drawParagraph(body, textTop, { size, indent: padding });
    this.doc.fillColor(textBlack);
    const boxBottom = textBottom + padding;
    this.doc
      .lineWidth(1.5)
      .strokeColor(warningRed)
      .rect(margin, top, contentWidth, boxBottom - top)
      .stroke();
    return boxBottom;
  }

  private use(loaded: LoadedFont, size: number): void {
    if (!this.registeredFonts.has(loaded.name)) {
      // @types/pdfkit lists only paths and bytes as font sources, but pdfkit 0.20 also takes a font
      // fontkit has already parsed (it looks for layout()), so the fonts are parsed once per process.
      this.doc.registerFont(loaded.name, loaded.font as unknown as PDFKit.Mixins.PDFFontSource);
      this.registeredFonts.add(loaded.name);
    }
    this.doc.font(loaded.name).fontSize(size);
  }

  // pdfkit lays text out word by word unless it is given features; a right-to-left run is given
  // some (the fonts ignore them) so it is laid out whole and a name's words keep their order.
  private static readonly layoutOptions = (run: LineRun) => (isRightToLeft(run) ? { features: [] } : {});

  private widthOf(runs: readonly LineRun[], size: number, characterSpacing: number): number {
    let width = 0;
    for (const run of runs) {
      this.use(run.font, size);
      width += this.doc.widthOfString(run.text, { characterSpacing, ...LetterPdf.layoutOptions(run) });
    }
    return width;
  }

  /** One line that never wraps: too long, it shrinks, then is cut short with an ellipsis. */
  private drawLine(paragraph: Paragraph, top: number, style: LineStyle): number {
    const spacing = style.characterSpacing ?? 0;
    const left = margin + (style.indent ?? 0);
    const width = contentWidth - 2 * (style.indent ?? 0);
    let runs = printableRuns(paragraph);
    let size = style.size;
    const naturalWidth = this.widthOf(runs, size, spacing);
    if (naturalWidth > width)
      size = Math.max(style.minSize ?? size, Math.floor(((size * width) / naturalWidth) * 10) / 10);
    if (this.widthOf(runs, size, spacing) > width) runs = this.cutToWidth(runs, size, spacing, width);
    const lineWidth = this.widthOf(runs, size, spacing);
    const x = style.align === 'center' ? left + (width - lineWidth) / 2 : left;
    const baseline = top + ascent(size);
    visualOrder(runs).forEach((run, index) => {
      this.use(run.font, size);
      const options = { lineBreak: false, baseline: 'alphabetic', characterSpacing: spacing } as const;
      // After the first run pdfkit carries on from where the previous run ended.
      if (index === 0) this.doc.text(run.text, x, baseline, { ...options, ...LetterPdf.layoutOptions(run) });
      else this.doc.text(run.text, { ...options, ...LetterPdf.layoutOptions(run) });
    });
    return top + lineHeight(size);
  }

  /** The longest start (in reading order) of the runs that fits the width with an ellipsis after it. */
  private cutToWidth(runs: readonly LineRun[], size: number, spacing: number, width: number): LineRun[] {
    const characters = runs.flatMap((run) => Array.from(run.text, (text) => ({ ...run, text })));
    const withEllipsis = (count: number): LineRun[] => {
      const kept: LineRun[] = [];
      for (const character of characters.slice(0, count)) {
        const last = kept.at(-1);
        if (last && last.font === character.font && last.level === character.level)
          kept[kept.length - 1] = { ...last, text: last.text + character.text };
        else kept.push(character);
      }
      const last = kept.at(-1);
      if (last) kept[kept.length - 1] = { ...last, text: last.text.trimEnd() };
      return [...kept.filter((run) => run.text !== ''), ellipsisAfter(kept.at(-1))];
    };
    // A start cut inside a cluster fontkit cannot lay out counts as not fitting.
    const fitsWidth = (count: number): boolean => {
      try {
        return this.widthOf(withEllipsis(count), size, spacing) <= width;
      } catch {
        return false;
      }
    };
    let fits = 0;
    let tooLong = characters.length;
    while (tooLong - fits > 1) {
      const middle = Math.floor((fits + tooLong) / 2);
      if (fitsWidth(middle)) fits = middle;
      else tooLong = middle;
    }
    return withEllipsis(fits);
  }

  /**
   * Wrapped text. Its height is capped by the page bottom so pdfkit can never start a new page;
   * returns where the next block starts.
   */
  private drawParagraph(paragraph: Paragraph, top: number, style: ParagraphStyle): number {
    // Wrapped lines are drawn in reading order: paragraphs hold the letter's own wording, and a
    // right-to-left run in them (an email's first letter) is still laid out right to left.
    const runs = printableRuns(paragraph).filter((run) => run.text.length > 0);
    const indent = style.indent ?? 0;
    const baseline = top + ascent(style.size);
    runs.forEach((run, index) => {
      this.use(run.font, style.size);
      const options = {
        width: contentWidth - 2 * indent,
        height: bottom - baseline,
        lineGap: lineHeight(style.size) - this.doc.currentLineHeight(true),
        baseline: 'alphabetic',
        continued: index < runs.length - 1,
        ...LetterPdf.layoutOptions(run),
      } as const;
      if (index === 0) this.doc.text(run.text, margin + indent, baseline, options);
      else this.doc.text(run.text, options);
    });
    // pdfkit leaves y on the baseline of the line after the paragraph.
    return this.doc.y - ascent(style.size);
  }
}
