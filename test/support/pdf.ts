import { readFileSync } from 'node:fs';
import { PDFParse } from 'pdf-parse';

/** The text of each page of a PDF, as a reader's copy-and-paste would give it. */
export async function pdfPages(file: string): Promise<string[]> {
  const parser = new PDFParse({ data: readFileSync(file) });
  try {
    const result = await parser.getText();
    return result.pages.map((page) => page.text);
  } finally {
    await parser.destroy();
  }
}
