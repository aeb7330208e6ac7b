import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { readCsvBatches } from '../src/formats/csv-records.ts';
import { FileRefusedError, type ParsedItem } from '../src/formats/records.ts';

const folder = mkdtempSync(path.join(tmpdir(), 'intake-csv-'));
const options = { columns: ['a', 'b', 'c'], required: ['a', 'b'], maxRecordBytes: 200 };

async function read(content: string): Promise<ParsedItem[]> {
  const file = path.join(folder, `${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, content);
  const items: ParsedItem[] = [];
  for await (const batch of readCsvBatches(file, options)) items.push(...batch);
  return items;
}
const summary = (items: ParsedItem[]) =>
  items.map((i) =>
    i.kind === 'record' ? `${i.record.line}:${Object.values(i.record.fields).join('/')}` : `${i.broken.line}:broken`,
  );

async function refusal(content: string): Promise<string> {
  try {
    await read(content);
  } catch (error) {
    if (error instanceof FileRefusedError) return error.message;
    throw error;
  }
  throw new Error('not refused');
}

describe('CSV records', () => {
  it('maps columns by name, in any order and case, with a BOM and CRLF', async () => {
    const items = await read('\uFEFFC,A,b\r\n3,1,2\r\n');
    expect(items).to.deep.equal([{ kind: 'record', record: { line: 2, fields: { c: '3', a: '1', b: '2' } } }]);
  });

  it('reads CRLF files whole, last line included', async () => {
    expect(summary(await read('a,b\r\n1,2\r\n3,4\r\n5,6'))).to.deep.equal(['2:1/2', '3:3/4', '4:5/6']);
  });

  it('an over-long line among a thousand good ones spoils only itself', async () => {
    const good = Array.from({ length: 1500 }, (_, i) => `${i},x`);
    good.splice(1000, 0, `bad,"${'y'.repeat(300)}"`);
    const items = summary(await read(`a,b\n${good.join('\n')}\n`));
    expect(items).to.have.length(1501);
    expect(items.filter((i) => i.endsWith('broken'))).to.deep.equal(['1002:broken']);
    expect(items[1000 - 1]).to.equal('1001:999/x');
    expect(items[1500]).to.equal('1502:1499/x');
  });

  it('reads old Mac files, whose lines end in CR alone', async () => {
    expect(summary(await read('a,b\r1,2\r3,4\r'))).to.deep.equal(['2:1/2', '3:3/4']);
  });

  it('keeps line numbers exact when a CRLF is split between two reads', async () => {
    const lines = Array.from({ length: 12_000 }, (_, i) => (i % 997 === 0 ? '' : `${i},x`));
    const items = await read(`a,b\r\n${lines.join('\r\n')}\r\n`);
    expect(items.filter((i) => i.kind === 'broken')).to.deep.equal([]);
    const wrong = items.filter((i) => i.kind === 'record' && i.record.line !== Number(i.record.fields.a) + 2);
    expect(wrong).to.deep.equal([]);
    expect(items).to.have.length(12_000 - 13);
  });

  it('counts blank lines (also lines of spaces) and keeps line numbers exact', async () => {
    expect(summary(await read('a,b\n1,2\n\n \t \n3,4\n'))).to.deep.equal(['2:1/2', '5:3/4']);
  });

  it('an unclosed quote spoils only its own line', async () => {
    expect(summary(await read('a,b\n1,2\n"3,4\n5,6\n\n7,"8\n9,10\n'))).to.deep.equal([
      '2:1/2',
      '3:broken',
      '4:5/6',
      '6:broken',
      '7:9/10',
    ]);
  });

  it('an unclosed quote on the last line is reported, not lost', async () => {
    expect(summary(await read('a,b\n1,2\n3,"4\n'))).to.deep.equal(['2:1/2', '3:broken']);
  });

  it('a row longer than the limit is broken and reading goes on', async () => {
    expect(summary(await read(`a,b\n1,"${'x'.repeat(300)}"\n5,6\n`))).to.deep.equal(['2:broken', '3:5/6']);
  });

  it('quotes are strict: a quote inside a value or text after a closing quote makes the row unreadable', async () => {
    const rows = [
      '"Smith"son,1', // text after the closing quote
      'Smi"th,2', // a quote inside an unquoted value
      'Smith",3', // a quote at the end of an unquoted value
      ' "Smith",4', // a quote after a space
      '"Smith,5', // not closed
      '"O""Brien",6', // a quote inside a quoted value, doubled: fine
      '"Smith",7', // quoted: fine
      '"",8', // empty and quoted: fine
      '"a,b",9', // a comma inside quotes: fine
    ];
    const items = await read(`a,b\n${rows.join('\n')}\n`);
    expect(summary(items)).to.deep.equal([
      '2:broken',
      '3:broken',
      '4:broken',
      '5:broken',
      '6:broken',
      '7:O"Brien/6',
      '8:Smith/7',
      '9:/8',
      '10:a,b/9',
    ]);
    const problem = (line: number) => {
      const item = items.find((i) => i.kind === 'broken' && i.broken.line === line);
      return item?.kind === 'broken' ? item.broken.problem : '';
    };
    expect(problem(2)).to.match(/line 2 has a double quote inside a value/);
    expect(problem(6)).to.match(/not closed on the same line/);
  });

  it('lines without quotes read the same as csv-parse reads them, beside lines with quotes', async () => {
    const plain = ['1,2,3', ',,', ' 1 , 2 ,3 ', '\t1,2,\t', 'Zoë,Ō\u0301,中文', '1,2', '1,2,3,4', '', '   '];
    const quoted = ['"1","2","3"', '"a,b",2,3'];
    const content = (lines: string[]) => `a,b,c\n${lines.join('\n')}\n`;
    const alone = summary(await read(content(plain)));
    expect(alone).to.deep.equal([
      '2:1/2/3',
      '3://',
      '4: 1 / 2 /3 ',
      '5:\t1/2/\t',
      '6:Zoë/Ō\u0301/中文',
      '7:broken',
      '8:broken',
    ]);
    // The same lines in a batch with quoted ones (read by csv-parse) give the same records.
    const mixed = summary(await read(content([...plain, ...quoted])));
    expect(mixed).to.deep.equal([...alone, '11:1/2/3', '12:a,b/2/3']);
  });

  it('a row with too few or too many fields is broken, naming the counts', async () => {
    const items = await read('a,b\n1\n1,2,3\n');
    expect(items.map((i) => i.kind === 'broken' && i.broken.problem)).to.deep.equal([
      'line 2 has 1 field but the header has 2; check for a missing or extra comma, or a comma inside a value ' +
        'that is not in double quotes.',
      'line 3 has 3 fields but the header has 2; check for a missing or extra comma, or a comma inside a value ' +
        'that is not in double quotes.',
    ]);
  });

  it('refuses an empty file, and a header with missing, unknown or repeated columns', async () => {
    expect(await refusal('')).to.match(/empty/);
    expect(await refusal('\n\n')).to.match(/empty/);
    expect(await refusal('a\n1\n')).to.match(/missing column "b"/);
    expect(await refusal('a,b,d\n1,2,3\n')).to.match(/unknown column "d"/);
    expect(await refusal('a,b,A\n1,2,3\n')).to.match(/repeated column "a"/);
  });

  it('a header alone is a file with no rows', async () => {
    expect(await read('a,b\n')).to.deep.equal([]);
  });
});
