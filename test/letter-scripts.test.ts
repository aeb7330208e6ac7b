import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { inflateSync } from 'node:zlib';
import { expect } from 'chai';
import { create } from 'fontkit';
import PDFDocument from 'pdfkit';
import { ingestFile } from '../pipelines/ingest.ts';
import { samplesAsOf, samplesFolder } from '../scripts/sample-files.ts';
import { type Letter, LetterPdf } from '../src/letters/letter-pdf.ts';
import { namesToWriteByHand } from '../src/letters/line-runs.ts';
import { loadReference } from '../src/reference/load.ts';
import { createTestApp, type TestApp } from './support/database.ts';
import { readReport, writeFiles } from './support/files.ts';
import { pdfPages } from './support/pdf.ts';

const fontFile = (pkg: string, file: string): string =>
  path.join(path.dirname(createRequire(import.meta.url).resolve(`@expo-google-fonts/${pkg}/package.json`)), file);
const notoSans = fontFile('noto-sans', '400Regular/NotoSans_400Regular.ttf');

const letter = (name: string, overrides: Partial<Letter> = {}): Letter => ({
  schoolCode: 'S.0001',
  schoolName: 'Riverbend School',
  requester: 'parent_guardian',
  recipientName: name,
  relationship: 'Mother',
  studentName: name,
  grade: '7',
  email: 'parent@example.com',
  pin: '0472',
  expiresOn: '2026-10-31',
  language: 'en',
  ...overrides,
});

let folder: string;
before(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'letter-scripts-'));
});
after(() => rmSync(folder, { recursive: true, force: true }));

async function render(name: string, letters: readonly Letter[]): Promise<string> {
  const target = path.join(folder, name);
  const pdf = LetterPdf.open(target, {
    authorityCode: 'A.0001',
    schoolCode: 'S.0001',
    schoolName: 'Riverbend School',
    fileName: 'names.csv',
    part: 1,
    parts: 1,
    letterCount: letters.length,
    issuedOn: '2026-09-01',
  });
  for (const each of letters) await pdf.add(each);
  await pdf.close();
  return target;
}

/** The letter pages' text, NFC, with runs of whitespace as one space. */
async function lettersText(file: string): Promise<string[]> {
  return (await pdfPages(file)).slice(1).map((page) => page.normalize('NFC').replace(/\s+/g, ' '));
}

/**
 * Every glyph id the PDF's text operators draw, and the fonts it embeds. In each embedded subset
 * glyph 0 is the font's .notdef: the missing-glyph box.
 */
function drawnGlyphs(file: string): { glyphs: Set<number>; fonts: Set<string> } {
  const pdf = readFileSync(file);
  const raw = pdf.toString('latin1');
  const fonts = new Set([...raw.matchAll(/\/BaseFont \/[A-Z]{6}\+([\w-]+)/g)].map((match) => match[1] as string));
  const glyphs = new Set<number>();
  for (const match of raw.matchAll(/stream\r?\n/g)) {
    const start = match.index + match[0].length;
    let content: string;
    try {
      content = inflateSync(pdf.subarray(start, raw.indexOf('endstream', start))).toString('latin1');
    } catch {
      continue;
    }
    if (!content.includes(' Tf')) continue;
    for (const shown of content.matchAll(/\[([^\]]*)\]\s*TJ/g))
      for (const [, hex = ''] of (shown[1] ?? '').matchAll(/<([0-9a-f]+)>/gi))
        for (let at = 0; at < hex.length; at += 4) glyphs.add(Number.parseInt(hex.slice(at, at + 4), 16));
  }
  return { glyphs, fonts };
}

// Scripts whose letters a PDF draws in reading order: text extraction gives each name back as is.
const inOrder: Record<string, string> = {
  French: 'Élodie Béliveau-Côté',
  Vietnamese: 'Nguyễn Thị Minh Khai',
  Greek: 'Γιώργος Παπαδόπουλος',
  Cyrillic: 'Олена Коваленко',
  'Cree syllabics': 'ᐊᑕᐃᑦ ᐅᑭᒫᐤ',
  Chinese: '王小明',
  Japanese: '山田 さくら',
  Korean: '김민준',
  Thai: 'สมชาย ใจดี',
  Amharic: 'አበበ ቢቂላ',
  Tigrinya: 'ሃብቶም ገብረሚካኤል',
  Gurmukhi: 'ਹਰਪ੍ਰੀਤ ਕੌਰ',
  Tamil: 'முத்துலட்சுமி',
  // Right to left: drawn right to left, and put back in reading order by the extraction.
  Arabic: 'محمد عبد الله',
  Urdu: 'عائشہ صدیقی',
  'Punjabi in Shahmukhi': 'ہرپریت کور',
  Hebrew: 'דוד בן־גוריון',
};
// A vowel sign written before its consonant (ि, ী…) is drawn there, and extraction reads the
// glyphs as drawn; it also puts a space where a mark is placed apart. Such names are compared as
// the same characters, spaces aside: what extraction can confirm is that every one is there.
const reordered: Record<string, string> = {
  Devanagari: 'प्रिया शर्मा',
  Bengali: 'রবীন্দ্রনাথ ঠাকুর',
};
const sameCharacters = (text: string): string => [...text.replace(/\s/g, '')].sort().join('');

describe('PIN letters print names in every script with a bundled font', () => {
  it('prints a name in each script, which reads back from the PDF, with no missing-glyph box', async () => {
    const names = { ...inOrder, ...reordered };
    const file = await render(
      'scripts.pdf',
      Object.values(names).map((name) => letter(name)),
    );
    const pages = await lettersText(file);
    Object.entries(names).forEach(([script, name], index) => {
      const page = pages[index] ?? '';
      if (script in inOrder) {
        expect(page, script).to.include(`For: ${name} (Mother)`);
        expect(page, script).to.include(`Student: ${name} · Grade 7`);
      } else {
        const printed = /For: (.*) \(Mother\)/.exec(page)?.[1] ?? '';
        expect(sameCharacters(printed), script).to.equal(sameCharacters(name));
      }
      expect(namesToWriteByHand({ ...letter(name) }), script).to.deep.equal([]);
    });
    const { glyphs, fonts } = drawnGlyphs(file);
    expect(glyphs.has(0), 'a .notdef glyph is drawn').to.equal(false);
    const scriptFonts =
      'Arabic-Bold Hebrew-Bold Gurmukhi-Bold Bengali-Bold Tamil-Bold Thai-Bold Ethiopic-Bold KR-Regular';
    for (const font of [...scriptFonts.split(' '), 'SC-Regular', 'CanadianAboriginal-Bold'])
      expect([...fonts], font).to.include(`NotoSans${font}`);
  });

  it('lays a right-to-left name out right to left inside the letter, its words in their order', async () => {
    const names = [
      'فاطمة الزهراء حداد',
      'שרה בת דוד לוי',
      // Mixed with Latin: the Arabic part right to left, in its place in the line.
      'Sara سارا Ahmed',
      'محمد Ali Khan',
      // Persian, with a zero-width non-joiner between two parts of the name.
      'فاطمه‌زهرا رضایی',
      // Hebrew then Arabic: one right-to-left stretch in two fonts.
      'דוד محمد',
    ];
    const file = await render(
      'right-to-left.pdf',
      names.map((name) => letter(name)),
    );
    expect(drawnGlyphs(file).glyphs.has(0), 'a .notdef glyph is drawn').to.equal(false);
    const pages = await lettersText(file);
    // Laid out word by word, a multi-word name would come back as "حداد الزهراء فاطمة".
    expect(pages[0]).to.include('For: فاطمة الزهراء حداد (Mother)');
    expect(pages[1]).to.include('For: שרה בת דוד לוי (Mother)');
    expect(pages[2]).to.include('For: Sara سارا Ahmed (Mother)');
    expect(pages[3]).to.include('For: محمد Ali Khan (Mother)');
    // The joiner is drawn as nothing, and extraction gives it back as a space.
    expect(pages[4]).to.include('For: فاطمه زهرا رضایی (Mother)');
    // Extraction restores the order inside each font's run but lists the runs left to right: the
    // Arabic word, on the left, comes first, which shows the Hebrew one was placed on its right.
    expect(pages[5]).to.include('For: محمد דוד (Mother)');
  });

  it('finds a missing-glyph box in a PDF that draws one (the check above sees what it looks for)', async () => {
    const target = path.join(folder, 'box.pdf');
    const doc = new PDFDocument({ size: 'LETTER' });
    const written = finished(doc.pipe(createWriteStream(target)));
    doc.font(notoSans).text('Anna 𐌀𐌋').end();
    await written;
    expect(drawnGlyphs(target).glyphs.has(0)).to.equal(true);
  });

  it('lays out ਹਰਪ੍ਰੀਤ, on which fontkit 2.0.4 throws, with one letter failing none', async () => {
    const gurmukhi = fontFile('noto-sans-gurmukhi', '400Regular/NotoSansGurmukhi_400Regular.ttf');
    expect(() => create(readFileSync(gurmukhi)).layout('ਹਰਪ੍ਰੀਤ', { ccmp: false })).to.throw();
    const file = await render('gurmukhi.pdf', [letter('Jane Doe'), letter('ਹਰਪ੍ਰੀਤ'), letter('John Doe')]);
    const pages = await lettersText(file);
    expect(pages).to.have.length(3);
    expect(pages[1]).to.include('For: ਹਰਪ੍ਰੀਤ (Mother)');
    expect(pages[2]).to.include('For: John Doe (Mother)');
    expect(drawnGlyphs(file).glyphs.has(0)).to.equal(false);
  });

  it('leaves a blank line, never boxes, for a name no bundled font can draw, and says which', async () => {
    const blank = '_'.repeat(24);
    const oldItalic = '𐌀𐌋𐌄𐌗𐌀';
    const letters = [
      letter('Jane Doe'),
      letter(oldItalic, { studentName: 'John Doe' }),
      letter('Anna \ue000', { studentName: 'Anna Doe', relationship: 'Guardian' }),
      letter('Omar Haddad', { relationship: oldItalic, studentName: oldItalic }),
      letter(oldItalic, { requester: 'student', relationship: null, language: 'fr' }),
    ];
    const file = await render('blank.pdf', letters);
    const pages = await lettersText(file);
    expect(pages[0]).to.include('For: Jane Doe (Mother)');
    expect(pages[1]).to.include(`For: ${blank} (Mother)`);
    expect(pages[1]).to.include('Student: John Doe');
    expect(pages[2]).to.include(`For: ${blank} (Guardian)`);
    expect(pages[3]).to.include(`For: Omar Haddad (${blank})`);
    expect(pages[3]).to.include(`Student: ${blank} · Grade 7`);
    expect(pages[4]).to.include(`Destinataire : ${blank} (l’élève)`);
    for (const page of pages) expect(page).to.include('0472');
    expect(drawnGlyphs(file).glyphs.has(0), 'a .notdef glyph is drawn').to.equal(false);

    expect(letters.map((each) => namesToWriteByHand(each))).to.deep.equal([
      [],
      ['name'],
      ['name'],
      ['relationship', 'student name'],
      ['student name'],
    ]);
  });
});

describe('an access row whose letter cannot print a name is accepted, with a warning in its result', function () {
  this.timeout(120_000);
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
    expect((await loadReference(app.db, path.join(samplesFolder, 'reference'))).problems).to.deep.equal([]);
  });
  after(() => app.dispose());

  async function ingest(source: string, authority = 'A.0002') {
    const result = await ingestFile(app, source, authority, 'access', samplesAsOf);
    if (result.outcome !== 'processed') throw new Error(result.outcome);
    return { file: result.file, report: readReport(result.file.reportPath as string) };
  }

  it('the A.0002 sample: every name prints but the Old Italic one, which its row warns of', async () => {
    const { file, report } = await ingest(path.join(samplesFolder, 'access/A.0002/names-in-many-scripts.csv'));
    const rows = report.filter((row) => row.status !== 'summary');
    expect(rows).to.have.length(14);
    for (const row of rows) expect([row.status, row.code]).to.deep.equal(['accepted', 'CONNECTION_CREATED']);
    const warned = rows.filter((row) => row.message.includes('Warning'));
    expect(warned.map((row) => row.line)).to.deep.equal(['15']);
    expect(warned[0]?.message).to.include("the letter's fonts cannot print the name");
    expect(warned[0]?.message).to.include('write it in by hand');

    const folder = path.join(app.home, 'outbox', 'A.0002', 'letters');
    const pdfs = readdirSync(folder).filter((name) => name.includes(`.${file.id}.`));
    expect(pdfs.sort()).to.deep.equal([
      `names-in-many-scripts.${file.id}.S.0201.pdf`,
      `names-in-many-scripts.${file.id}.S.0202.pdf`,
    ]);
    const text: string[] = [];
    for (const pdf of pdfs) {
      text.push(...(await lettersText(path.join(folder, pdf))));
      expect(drawnGlyphs(path.join(folder, pdf)).glyphs.has(0), pdf).to.equal(false);
    }
    const all = text.join('\n');
    for (const name of ['فاطمة الزهراء', 'عائشہ صدیقی', 'דוד בן־גוריון', '김민준', 'ਹਰਪ੍ਰੀਤ ਕੌਰ', 'ہرپریت کور'])
      expect(all).to.include(name);
    for (const name of ['முத்துலட்சுமி', 'สมชาย ใจดี', 'አበበ ቢቂላ', 'ሃብቶም ገብረሚካኤል', 'Sara سارا Ahmed'])
      expect(all).to.include(name);
    expect(all).to.include(`For: ${'_'.repeat(24)} (Stepmother)`);
  });

  it('warns again when a reset prints the name on record, and of a student name no font has', async () => {
    const drop = path.join(app.home, 'drop');
    const header = 'action,asn,school_code,requester,relationship,name,email,language,replace';
    writeFiles(drop, { 'reset.csv': `${header}\nreset,473125690,S.0202,,,,alexa.roy@example.com,,\n` });
    const reset = await ingest(path.join(drop, 'reset.csv'));
    expect(reset.report[0]).to.include({ status: 'accepted', code: 'CONNECTION_RESET' });
    expect(reset.report[0]?.message).to.include("the letter's fonts cannot print the name");

    await app.db.query(`update student set first_name = '𐌀𐌋𐌄𐌗𐌀' where asn = '473125690'`);
    writeFiles(drop, {
      'student.csv':
        `${header}\ncreate,473125690,S.0202,student,,,gabriel.roy@example.com,,\n` +
        'create,473125690,S.0202,parent_guardian,Father,Luc Roy,luc.roy@example.com,,\n',
    });
    const student = await ingest(path.join(drop, 'student.csv'));
    expect(student.report[0]).to.include({ status: 'accepted', code: 'CONNECTION_CREATED' });
    expect(student.report[0]?.message).to.include("cannot print the student's name");
    expect(student.report[1]?.message).to.include("cannot print the student's name");
    expect(student.report[1]?.message).not.to.include('the name and');
  });
});
