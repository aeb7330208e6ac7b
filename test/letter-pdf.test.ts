import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { PDFParse } from 'pdf-parse';
import { type Letter, type LetterBatchCover, LetterPdf } from '../src/letters/letter-pdf.ts';

const cover = (overrides: Partial<LetterBatchCover> = {}): LetterBatchCover => ({
  authorityCode: 'A.0001',
  schoolCode: 'S.0001',
  schoolName: 'Riverbend School',
  fileName: 'connections-2026-09.csv',
  part: 1,
  parts: 1,
  letterCount: 1,
  issuedOn: '2026-09-01',
  ...overrides,
});

const letter = (overrides: Partial<Letter> = {}): Letter => ({
  schoolCode: 'S.0001',
  schoolName: 'Riverbend School',
  requester: 'parent_guardian',
  recipientName: 'Jane Doe',
  relationship: 'Mother',
  studentName: 'John Michael Doe',
  grade: '7',
  email: 'jane.doe@example.com',
  pin: '0472',
  expiresOn: '2026-10-31',
  language: 'en',
  ...overrides,
});

let folder: string;
before(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'letters-'));
});
after(() => rmSync(folder, { recursive: true, force: true }));

async function render(
  name: string,
  letters: readonly Letter[],
  coverOverrides: Partial<LetterBatchCover> = {},
): Promise<string> {
  const target = path.join(folder, name);
  const pdf = LetterPdf.open(target, cover({ letterCount: letters.length, ...coverOverrides }));
  for (const each of letters) await pdf.add(each);
  await pdf.close();
  return target;
}

// Page text with every line break and no-break space turned into a plain space, so assertions
// compare words, not where a line happened to wrap.
async function pagesOf(file: string): Promise<string[]> {
  const parser = new PDFParse({ data: readFileSync(file) });
  try {
    const result = await parser.getText();
    return result.pages.map((page) => page.text.normalize('NFC').replace(/\s+/g, ' '));
  } finally {
    await parser.destroy();
  }
}

const occurrences = (text: string, needle: string): number => text.split(needle).length - 1;

describe('PIN letter PDF', () => {
  it('opens with a cover page that counts the letters and warns about the PINs, in both languages', async () => {
    const letters = [letter({ pin: '0472' }), letter({ pin: '8815' }), letter({ pin: '3390' })];
    const [coverPage = ''] = await pagesOf(await render('cover.pdf', letters, { part: 2, parts: 3 }));
    expect(coverPage).to.include('This PDF holds 3 letters (part 2 of 3)');
    expect(coverPage).to.include('Ce PDF contient 3 lettres (partie 2 de 3)');
    expect(coverPage).to.include('this file contains PINs in clear text');
    expect(coverPage).to.include('then delete this file and shred');
    expect(coverPage).to.include('ce fichier contient des NIP en clair');
    for (const detail of ['Riverbend School (S.0001)', 'A.0001', 'connections-2026-09.csv', '2026-09-01']) {
      expect(coverPage).to.include(detail);
    }
    for (const { pin } of letters) expect(coverPage).not.to.include(pin);
  });

  it('puts one letter per page, in order, each PIN exactly once and on its own page', async () => {
    const letters = [
      letter({ recipientName: 'Alice Anders', pin: '0472' }),
      letter({ recipientName: 'Bruno Bell', relationship: 'Guardian', pin: '8815' }),
      letter({
        recipientName: 'Chloe Chan',
        requester: 'student',
        relationship: null,
        studentName: 'Chloe Chan',
        pin: '3390',
      }),
    ];
    const pages = await pagesOf(await render('order.pdf', letters));
    expect(pages).to.have.length(letters.length + 1);
    const whole = pages.join('\n');
    letters.forEach(({ recipientName, pin }, index) => {
      const page = pages[index + 1] ?? '';
      expect(page).to.include(recipientName);
      expect(occurrences(whole, pin), `PIN of letter ${index + 1}`).to.equal(1);
      expect(occurrences(page, pin)).to.equal(1);
    });
    expect(pages[2]).to.include('For: Bruno Bell (Guardian)');
    expect(pages[3]).to.include('For: Chloe Chan (the student)');
    expect(pages[3]).to.include('This letter is for you, the student.');
  });

  it('prints the steps, the masked email, the warning and the expiry date', async () => {
    const [, page = ''] = await pagesOf(await render('english.pdf', [letter()]));
    expect(page).to.include('Your 4-digit PIN');
    expect(page).to.include('shown only once');
    expect(page).to.include('not kept anywhere else');
    expect(page).to.include('Keep this PIN private.');
    expect(page).to.include('Find the email titled “myPass Activation – DO NOT DELETE” sent to j•••@example.com.');
    expect(page).to.include('Click the “Activate Connection” link');
    expect(page).to.include('Education Account');
    expect(page).to.include('click “Accept and Activate the Connection”');
    expect(page).to.include('This PIN expires on 2026-10-31. After that, ask the school for a new one.');
    expect(page).not.to.include('jane.doe@example.com');
  });

  it('writes a French letter in French', async () => {
    const [, english = '', french = ''] = await pagesOf(
      await render('french.pdf', [letter({ pin: '0472' }), letter({ pin: '8815', language: 'fr', grade: 'K' })]),
    );
    expect(french).to.include('Votre NIP à 4 chiffres');
    expect(french).to.include('Destinataire : Jane Doe (mère)');
    expect(french).to.include('maternelle');
    expect(french).to.include('Gardez ce NIP confidentiel.');
    expect(french).to.include(
      'Repérez le courriel intitulé « Activation myPass – NE PAS SUPPRIMER » envoyé à j•••@example.com.',
    );
    expect(french).to.include('« Accepter et activer la connexion »');
    expect(french).to.include('Ce NIP expire le 2026-10-31.');
    expect(french).to.include('8815');
    expect(french).not.to.include('expires on');
    expect(english).not.to.include('NIP');
  });

  it('keeps names in Vietnamese, French, Cree syllabics and Chinese', async () => {
    const names = ['Nguyễn Thị Minh Khai', 'Élodie Béliveau-Côté', 'ᐊᑕᐃᑦ ᐅᑭᒫᐤ', '王小明'];
    const letters = names.map((name, index) =>
      letter({ recipientName: name, studentName: `${name} Junior`, pin: `${index + 5}${index + 5}${index + 1}9` }),
    );
    const pages = await pagesOf(await render('names.pdf', letters));
    names.forEach((name, index) => {
      expect(pages[index + 1]).to.include(`For: ${name} (Mother)`);
      expect(pages[index + 1]).to.include(`Student: ${name} Junior`);
    });
  });

  it('creates the file readable by its owner only', async () => {
    const file = await render('mode.pdf', [letter()]);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });

  it('is completely written when close resolves, with no personal data in its metadata', async () => {
    const file = await render('metadata.pdf', [letter()], { part: 1, parts: 1 });
    expect(readFileSync(file, 'latin1').trimEnd().endsWith('%%EOF')).to.equal(true);
    const parser = new PDFParse({ data: readFileSync(file) });
    try {
      const { info } = await parser.getInfo();
      const metadata: unknown = info;
      expect(metadata).to.have.property('Title', 'PIN letters – S.0001 – part 1 of 1');
      expect(JSON.stringify(metadata)).not.to.match(/Jane|Doe|0472|example\.com/);
    } finally {
      await parser.destroy();
    }
  });

  it('keeps a letter with absurdly long values on one page', async () => {
    const long = letter({
      schoolName: `École ${'très '.repeat(60)}longue`,
      recipientName: `${'Bartholomew-'.repeat(40)}\nSmith\tJr`,
      relationship: 'Great-grandmother by marriage '.repeat(10),
      studentName: `${'Maximilian '.repeat(50)}王小明`,
      email: `someone@${'department.'.repeat(30)}example.com`,
      pin: '6161',
    });
    const pages = await pagesOf(await render('long.pdf', [long, { ...long, language: 'fr', pin: '7373' }]));
    expect(pages).to.have.length(3);
    expect(pages[1]).to.include('6161');
    expect(pages[1]).to.include('This PIN expires on 2026-10-31.');
    expect(pages[2]).to.include('7373');
    expect(pages[2]).to.include('Ce NIP expire le 2026-10-31.');
  });

  it('fails when the file cannot be written, or its name is taken (by a file or a link)', async () => {
    const attempt = async (target: string) => {
      try {
        const pdf = LetterPdf.open(target, cover());
        await pdf.add(letter());
        await pdf.close();
        return null;
      } catch (error) {
        return error;
      }
    };
    expect(await attempt(path.join(folder, 'missing-folder', 'letters.pdf')))
      .to.be.instanceOf(Error)
      .with.property('code', 'ENOENT');
    const victim = path.join(folder, 'victim.txt');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, path.join(folder, 'planted.pdf'));
    expect(await attempt(path.join(folder, 'planted.pdf')))
      .to.be.instanceOf(Error)
      .with.property('code', 'EEXIST');
    expect(readFileSync(victim, 'utf8')).to.equal('untouched');
  });

  it('renders 300 letters into one PDF', async () => {
    const letters = Array.from({ length: 300 }, (_, index) =>
      letter({
        recipientName: `Parent ${index + 1}`,
        pin: String(3000 + index),
        language: index % 2 === 0 ? 'en' : 'fr',
      }),
    );
    const pages = await pagesOf(await render('three-hundred.pdf', letters));
    expect(pages).to.have.length(301);
    letters.forEach(({ recipientName, pin }, index) => {
      expect(pages[index + 1]).to.include(`${recipientName} (`);
      expect(occurrences(pages[index + 1] ?? '', pin)).to.equal(1);
    });
  });
});
