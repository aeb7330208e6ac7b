import v8 from 'node:v8';
import vm from 'node:vm';
import { expect } from 'chai';
import { FileRefusedError, type ParsedItem } from '../src/formats/records.ts';
import { readXmlRecords, type XmlReadOptions } from '../src/formats/xml-records.ts';

const options: XmlReadOptions = { rootName: 'enrolments', recordName: 'enrolment', maxRecordBytes: 2000, maxDepth: 3 };

async function* chunksOf(text: string, size: number): AsyncGenerator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

async function collect(input: AsyncIterable<string>, readOptions = options): Promise<ParsedItem[]> {
  const items: ParsedItem[] = [];
  for await (const item of readXmlRecords(input, readOptions)) items.push(item);
  return items;
}

/** Reads `doc` whole and in chunks of every size 1..7; all readings must agree. */
async function readEverySplit(doc: string, readOptions = options): Promise<ParsedItem[]> {
  const whole = await collect(chunksOf(doc, Math.max(1, doc.length)), readOptions);
  for (let size = 1; size <= 7; size++) {
    expect(await collect(chunksOf(doc, size), readOptions), `chunks of ${size}`).to.deep.equal(whole);
  }
  return whole;
}

/** Expects every chunking of `doc` to be refused; returns the message. */
async function refusal(doc: string): Promise<string> {
  let message = '';
  for (const size of [doc.length || 1, 1, 2, 3, 4, 5, 6, 7]) {
    try {
      await collect(chunksOf(doc, size));
      expect.fail(`chunks of ${size}: not refused`);
    } catch (error) {
      expect(error, `chunks of ${size}`).to.be.instanceOf(FileRefusedError);
      message = (error as Error).message;
    }
  }
  return message;
}

const record = (line: number, fields: Record<string, string>): ParsedItem => ({
  kind: 'record',
  record: { line, fields },
});
const problemOf = (item: ParsedItem | undefined) => (item?.kind === 'broken' ? item.broken : undefined);
const wrap = (records: string) => `<?xml version="1.0"?>\n<enrolments>\n${records}\n</enrolments>\n`;

const normal = `<?xml version="1.0" encoding="UTF-8"?>
<!-- comments allowed anywhere -->
<enrolments>
  <enrolment>
    <asn>123456789</asn>
    <school_code>S.0982</school_code>
    <middle_name/>
    <last_name>O&apos;Brien &amp; Sons</last_name>
    <first_name><![CDATA[Zoë]]></first_name>
  </enrolment>
  <enrolment id="2">
    <ASN> 007 </ASN>
    <School_Code>0982</School_Code>
    <grade></grade>
    <last_name>&#233;t&#x00E9; &lt;&gt;&quot;</last_name>
  </enrolment>
</enrolments>
`;

describe('readXmlRecords', () => {
  it('reads the fields and line numbers of a normal document', async () => {
    expect(await readEverySplit(normal)).to.deep.equal([
      record(4, {
        asn: '123456789',
        school_code: 'S.0982',
        middle_name: '',
        last_name: "O'Brien & Sons",
        first_name: 'Zoë',
      }),
      record(11, { asn: '007', school_code: '0982', grade: '', last_name: 'été <>"' }),
    ]);
  });

  it('is not fooled by record-end tags in comments and CDATA, or by > in attribute values', async () => {
    const doc = wrap(`<!-- </enrolment> <enrolment> -->
<enrolment note="a > b" other='/enrolment>'>
  <first_name><![CDATA[<b>Zoë</b> </enrolment> &amp;]]></first_name><!-- </enrolment> -->
  <last_name>A<!-- > -->B<?pi </enrolment> ?></last_name>
</enrolment>
<?pi between records?>
<enrolment><asn>2</asn></enrolment>`);
    expect(await readEverySplit(doc)).to.deep.equal([
      record(4, { first_name: '<b>Zoë</b> </enrolment> &amp;', last_name: 'AB' }),
      record(9, { asn: '2' }),
    ]);
  });

  it('an attribute value without its closing quote breaks only its own record', async () => {
    const doc =
      '<enrolments><enrolment><a x="></a></enrolment>\n<enrolment><b>2</b></enrolment>\n<enrolment><c ' +
      'y="/></enrolment></enrolments>';
    const items = await readEverySplit(doc);
    expect(
      items.map((item) =>
        item.kind === 'broken'
          ? `${item.broken.line}: broken`
          : `${item.record.line}: ${JSON.stringify(item.record.fields)}`,
      ),
    ).to.deep.equal(['1: broken', '2: {"b":"2"}', '3: broken']);
    expect(items[0]?.kind === 'broken' && items[0].broken.problem).to.contain('without its closing quote on line 1');
  });

  it('refuses a root element whose attribute has no closing quote', async () => {
    expect(await refusal('<enrolments a="x><enrolment><b>1</b></enrolment></enrolments>')).to.contain(
      'no closing quote',
    );
  });

  it('reports broken records by line and goes on with the next ones', async () => {
    const doc = wrap(`<enrolment><asn>1</asn></enrolment>
<enrolment>
  <asn>2</asx>
</enrolment>
<enrolment><asn>&foo;</asn></enrolment>
<enrolment><asn>1</asn><asn>2</asn></enrolment>
<enrolment><address><street>Main</street></address></enrolment>
<enrolment><asn>3</asn>
<enrolment><asn>4</asn></enrolment>
<enrolment><asn>5</asn>`);
    const items = await readEverySplit(doc);
    expect(
      items.map((item) => (item.kind === 'record' ? item.record.fields.asn : `broken@${item.broken.line}`)),
    ).to.deep.equal(['1', 'broken@4', 'broken@7', 'broken@8', 'broken@9', 'broken@10', '4', 'broken@12']);
    expect(problemOf(items[1])?.problem).to.match(/line 5.*closing tag 'asn'/);
    expect(problemOf(items[2])?.problem).to.contain('unknown entity &foo;');
    expect(problemOf(items[3])?.problem).to.contain('field <asn> appears twice');
    expect(problemOf(items[4])?.problem).to.contain('field <address> must be plain text');
    expect(problemOf(items[5])?.problem).to.contain('not closed before the next <enrolment> on line 11');
    expect(problemOf(items[7])?.problem).to.contain('not closed before </enrolments> on line 13');
  });

  it('keeps field names that are JavaScript property names, refuses prototype-polluting ones', async () => {
    const items = await readEverySplit(
      wrap(`<enrolment><toString>1</toString><Valueof>2</Valueof></enrolment>
<enrolment><__PROTO__>x</__PROTO__></enrolment>
<enrolment>stray text<asn>1</asn></enrolment>`),
    );
    expect(items[0]).to.deep.equal(record(3, { tostring: '1', valueof: '2' }));
    expect(problemOf(items[1])?.problem).to.contain('__proto__');
    expect(problemOf(items[2])?.problem).to.contain('text outside any field');
  });

  it('makes an oversize record broken and reads on', async () => {
    const doc = wrap(`<enrolment><notes>${'x'.repeat(5000)}</notes></enrolment>\n<enrolment><asn>1</asn></enrolment>`);
    const items = await readEverySplit(doc);
    expect(problemOf(items[0])).to.deep.equal({
      line: 3,
      problem: 'The <enrolment> on line 3 is larger than the limit of 2000 bytes.',
    });
    expect(items[1]).to.deep.equal(record(4, { asn: '1' }));
  });

  it('makes too-deep nesting broken and reads on', async () => {
    const doc = wrap(`<enrolment><a><b><c><d/></c></b></a></enrolment>\n<enrolment><a><b><c/></b></a></enrolment>`);
    const items = await readEverySplit(doc);
    expect(problemOf(items[0])?.problem).to.contain('nested more than 3 levels deep');
    expect(problemOf(items[1])?.problem).to.contain('field <a> must be plain text'); // depth 3 is allowed
  });

  it('refuses DOCTYPE and entity declarations', async () => {
    const bomb =
      `<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 ` + `"&lol;&lol;">]>\n<enrolments/>`;
    expect(await refusal(bomb)).to.contain('may not contain a DOCTYPE or entity declarations');
    expect(await refusal(wrap('<enrolment><!ENTITY x "y"></enrolment>'))).to.contain('DOCTYPE');
  });

  it('refuses a wrong root, junk inside the root and trailing junk', async () => {
    expect(await refusal('<students><enrolment/></students>')).to.contain('must start with <enrolments>');
    expect(await refusal(wrap('hello <enrolment/>'))).to.contain('Line 3: unexpected text "hello');
    expect(await refusal(wrap('<student/>'))).to.contain('<student> is not allowed directly inside <enrolments>');
    expect(await refusal(`${wrap('<enrolment/>')}<enrolments/>`)).to.contain('after the end of <enrolments>');
    expect(await refusal(`${wrap('<enrolment/>')}junk`)).to.contain('Line 5: unexpected text "junk"');
  });

  it('accepts comments, processing instructions and whitespace after the root', async () => {
    expect(await readEverySplit(`${wrap('<enrolment/>')}<!-- end -->\n<?done?>\n\n`)).to.deep.equal([record(3, {})]);
  });

  it('refuses truncated files and unreadable tags', async () => {
    expect(await refusal(normal.slice(0, normal.indexOf('</enrolments>')))).to.contain('looks cut off');
    expect(await refusal(normal.slice(0, normal.indexOf('<last_name>')))).to.contain('looks cut off');
    expect(await refusal(normal.slice(0, normal.indexOf('ment>', 200)))).to.contain('never closed');
  });

  it('a quote left open in a tag no longer refuses the file: that record is broken', async () => {
    const [item] = await readEverySplit(wrap('<enrolment><asn a="1>2</asn></enrolment>'));
    expect(item?.kind === 'broken' && item.broken).to.deep.include({ line: 3 });
    expect(item?.kind === 'broken' && item.broken.problem).to.contain('without its closing quote on line 3');
  });

  it('refuses empty input and a file without a root', async () => {
    expect(await refusal('')).to.contain('empty');
    expect(await refusal('  \n<!-- nothing -->\n')).to.contain('empty');
  });

  it('handles a BOM and CRLF line endings', async () => {
    const doc = `\uFEFF${normal.replace(/\n/g, '\r\n')}`;
    expect(await readEverySplit(doc)).to.deep.equal(await collect(chunksOf(normal, 100)));
    const multiLine = await readEverySplit(
      '\uFEFF<enrolments>\r\n<enrolment><notes>a\r\nb</notes></enrolment>\r\n<enrolment/></enrolments>',
    );
    expect(multiLine).to.deep.equal([record(2, { notes: 'a\nb' }), record(4, {})]);
  });

  it('counts a lone CR as a line break, as XML does', async () => {
    const items = await readEverySplit(
      '<enrolments>\r<enrolment><asn>1</asn></enrolment>\r\r<enrolment/></enrolments>',
    );
    expect(items).to.deep.equal([record(2, { asn: '1' }), record(4, {})]);
  });

  it('streams 200,000 records without memory growing with the file', async () => {
    v8.setFlagsFromString('--expose-gc');
    const collectGarbage: unknown = vm.runInNewContext('gc');
    const gc = () => (typeof collectGarbage === 'function' ? collectGarbage() : undefined);
    const total = 200_000;
    async function* generated(): AsyncGenerator<string> {
      yield '<?xml version="1.0"?>\n<enrolments>\n';
      for (let n = 0; n < total; n++) {
        const text =
          `  <enrolment><asn>${String(n).padStart(9, '0')}</asn>` + `<last_name>Name ${n}</last_name></enrolment>\n`;
        const cut = n % text.length; // split records (and tags) at every position
        yield text.slice(0, cut);
        yield text.slice(cut);
      }
      yield '</enrolments>\n';
    }
    gc();
    const before = process.memoryUsage().heapUsed;
    let count = 0;
    let last: ParsedItem | undefined;
    for await (const item of readXmlRecords(generated(), options)) {
      count++;
      last = item;
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(count).to.equal(total);
    expect(last).to.deep.equal(record(total + 2, { asn: '000199999', last_name: 'Name 199999' }));
    expect(grown).to.be.below(50 * 1024 * 1024);
  });
});
