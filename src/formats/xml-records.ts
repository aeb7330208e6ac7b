import { FileRefusedError, type ParsedItem } from './records.ts';
import { broken, parseRecord } from './xml-record-fields.ts';

export interface XmlReadOptions {
  rootName: string;
  recordName: string;
  /** A record whose raw text (in UTF-8 bytes, its own tags included) is longer is a BrokenRecord. */
  maxRecordBytes: number;
  /** Elements nested deeper than this inside a record (its fields are level 1) make it a BrokenRecord. */
  maxDepth: number;
}

/** No legitimate tag is this long; past it we assume a missing '>' or quote rather than buffer forever. */
const MAX_TAG_CHARS = 64 * 1024;
const CHECK_AND_EXPORT = 'Please check the file, or export it again from your school system.';

type Sink = ((text: string) => void) | null;
type MarkupKind = 'eof' | 'comment' | 'cdata' | 'pi' | 'declaration' | 'end' | 'start' | 'stray';
/** `unclosedQuote`: an attribute value ran into a '<' (never legal in one), so the tag was cut there. */
interface Tag {
  name: string;
  key: string;
  end: boolean;
  selfClosing: boolean;
  line: number;
  raw: string;
  unclosedQuote: boolean;
}

const refused = (message: string) => new FileRefusedError(`${message} ${CHECK_AND_EXPORT}`);
// Line breaks as XML reads them: LF, CRLF or a lone CR, each one line.
const countNewlines = (text: string) => text.match(/\r\n|\r|\n/g)?.length ?? 0;

/**
 * Pulls chunks only when needed: `buf` from `pos` on is unread text, `line` is the line of `buf[pos]`.
 * Consumed text is dropped on the next read, so memory is bounded by the longest token we must look at whole (a tag).
 */
class Scanner {
  private buf = '';
  private pos = 0;
  private finished = false;
  private afterCarriageReturn = false;
  line = 1;
  constructor(private readonly chunks: AsyncIterator<string>) {}

  private async more(): Promise<boolean> {
    if (this.finished) return false;
    const next = await this.chunks.next();
    if (next.done) this.finished = true;
    else [this.buf, this.pos] = [this.buf.slice(this.pos) + next.value, 0];
    return !next.done;
  }
  async peek(length: number): Promise<string> {
    while (this.buf.length - this.pos < length && (await this.more()));
    return this.buf.slice(this.pos, this.pos + length);
  }
  consume(length: number, sink: Sink): void {
    const text = this.buf.slice(this.pos, this.pos + length);
    sink?.(text); // before counting, so a sink that throws can report the line where `text` starts
    // A CRLF split between two consumed pieces is one line break, not two.
    this.line += countNewlines(text) - (this.afterCarriageReturn && text.startsWith('\n') ? 1 : 0);
    if (text.length > 0) this.afterCarriageReturn = text.endsWith('\r');
    this.pos += text.length;
  }
  /** Consumes up to and including `terminator`; false if the input ends first. */
  async consumeThrough(terminator: string, sink: Sink): Promise<boolean> {
    for (;;) {
      const at = this.buf.indexOf(terminator, this.pos);
      if (at !== -1) {
        this.consume(at + terminator.length - this.pos, sink);
        return true;
      }
      // keep a possible partial terminator at the end of the buffer for the next chunk
      this.consume(Math.max(0, this.buf.length - this.pos - terminator.length + 1), sink);
      if (!(await this.more())) {
        this.consume(this.buf.length - this.pos, sink);
        return false;
      }
    }
  }
  /** Consumes character data up to the next '<' or the end of input. */
  async consumeText(sink: Sink): Promise<void> {
    for (;;) {
      const at = this.buf.indexOf('<', this.pos);
      this.consume((at === -1 ? this.buf.length : at) - this.pos, sink);
      if (at !== -1 || !(await this.more())) return;
    }
  }
  async markupKind(): Promise<MarkupKind> {
    const head = await this.peek(10);
    if (head === '') return 'eof';
    if (head.startsWith('<!--')) return 'comment';
    if (head.startsWith('<![CDATA[')) return 'cdata';
    if (/^<!(doctype|entity|element|attlist|notation)/i.test(head)) return 'declaration';
    if (head.startsWith('<?')) return 'pi';
    if (/^<\/[A-Za-z_:\u0080-\uffff]/.test(head)) return 'end';
    return /^<[A-Za-z_:\u0080-\uffff]/.test(head) ? 'start' : 'stray';
  }
  /**
   * Reads a whole start or end tag; '>' inside quoted attribute values does not end it. A '<'
   * inside one means its closing quote is missing: the tag ends there, so the quote cannot
   * swallow the records after it.
   */
  async readTag(): Promise<Tag> {
    const line = this.line;
    let quote = '';
    for (let offset = 1; ; ) {
      for (; this.pos + offset < this.buf.length; offset++) {
        const char = this.buf[this.pos + offset];
        const unclosedQuote = quote !== '' && char === '<';
        if (quote && !unclosedQuote) quote = char === quote ? '' : quote;
        else if (char === '"' || char === "'") quote = char;
        else if (char === '>' || unclosedQuote) {
          const raw = this.buf.slice(this.pos, this.pos + offset + (unclosedQuote ? 0 : 1));
          this.consume(raw.length, null);
          const name = /^<\/?([^\s/>"']+)/.exec(raw)?.[1] ?? '';
          const end = raw.startsWith('</');
          return {
            name,
            key: name.toLowerCase(),
            end,
            selfClosing: !end && raw.endsWith('/>'),
            line,
            raw,
            unclosedQuote,
          };
        }
      }
      if (offset > MAX_TAG_CHARS || !(await this.more())) {
        throw refused(`The tag that starts on line ${line} is never closed (a '>' or a quote is missing).`);
      }
    }
  }
}

/** Skips whitespace, comments and processing instructions between records; refuses anything else but tags. */
async function nextTag(scanner: Scanner, place: string): Promise<Tag | null> {
  for (;;) {
    const stray = { line: 0, text: '' }; // the first few characters of any non-whitespace text, for the message
    await scanner.consumeText((text) => {
      const at = stray.text ? 0 : text.search(/[^ \t\r\n]/);
      if (at === -1) return;
      if (!stray.text) stray.line = scanner.line + countNewlines(text.slice(0, at));
      stray.text = (stray.text + text.slice(at, at + 30)).slice(0, 30);
    });
    if (stray.text)
      throw refused(`Line ${stray.line}: unexpected text "${stray.text.split(/[\r\n]/)[0]?.trim()}" ${place}.`);
    const kind = await scanner.markupKind();
    if (kind === 'eof') return null;
    if (kind === 'comment' || kind === 'pi') await skipThrough(scanner, kind, null);
    else if (kind === 'start' || kind === 'end') return scanner.readTag();
    else if (kind === 'declaration') throw declarationRefused(scanner.line);
    else throw refused(`Line ${scanner.line}: unexpected ${kind === 'cdata' ? 'CDATA text' : "'<'"} ${place}.`);
  }
}

async function skipThrough(scanner: Scanner, kind: 'comment' | 'pi' | 'cdata', sink: Sink): Promise<void> {
  const line = scanner.line;
  const terminator = { comment: '-->', pi: '?>', cdata: ']]>' }[kind];
  if (!(await scanner.consumeThrough(terminator, sink))) {
    throw refused(
      `The ${kind === 'pi' ? 'processing instruction' : kind} that starts on line ${line} never ends: the file ` +
        `looks cut off.`,
    );
  }
}

/** Entity declarations allow "billion laughs" expansion bombs; enrolment exports never need them. */
const declarationRefused = (line: number) =>
  refused(`Line ${line}: XML files may not contain a DOCTYPE or entity declarations. Remove the <!DOCTYPE …> part.`);

type RecordEnd = { item: ParsedItem; next: 'more' | 'rootClosed' | Tag };

async function readRecord(scanner: Scanner, start: Tag, options: XmlReadOptions): Promise<RecordEnd> {
  if (start.selfClosing) return { item: { kind: 'record', record: { line: start.line, fields: {} } }, next: 'more' };
  const what = `The <${start.name}> on line ${start.line}`;
  const innerLine = scanner.line;
  let inner: string[] = [];
  let bytes = Buffer.byteLength(start.raw);
  // an oversize record is broken anyway: stop keeping its text and only count, so memory stays bounded
  const add = (text: string, keep = true) => {
    bytes += Buffer.byteLength(text);
    if (bytes > options.maxRecordBytes) inner = [];
    else if (keep) inner.push(text);
  };
  let depth = 0;
  let tooDeep = false;
  let unclosedQuoteLine = start.unclosedQuote ? start.line : 0;
  for (;;) {
    await scanner.consumeText(add);
    const kind = await scanner.markupKind();
    if (kind === 'eof')
      throw refused(`The file ends inside the <${start.name}> that starts on line ${start.line}: it looks cut off.`);
    if (kind === 'declaration') throw declarationRefused(scanner.line);
    if (kind === 'comment' || kind === 'pi' || kind === 'cdata') await skipThrough(scanner, kind, add);
    if (kind === 'stray') scanner.consume(1, add); // a bare '<' in text: the validator will name it
    if (kind !== 'start' && kind !== 'end') continue;
    const tag = await scanner.readTag();
    if (tag.unclosedQuote && !unclosedQuoteLine) unclosedQuoteLine = tag.line;
    const recordTag = tag.key === options.recordName.toLowerCase();
    if (tag.end && recordTag) {
      add(tag.raw, false);
      const item =
        bytes > options.maxRecordBytes
          ? broken(start.line, `${what} is larger than the limit of ${options.maxRecordBytes} bytes.`)
          : tooDeep
            ? broken(start.line, `${what} has elements nested more than ${options.maxDepth} levels deep.`)
            : unclosedQuoteLine
              ? broken(
                  start.line,
                  `${what} has an attribute value without its closing quote on line ${unclosedQuoteLine}.`,
                )
              : parseRecord(inner.join(''), innerLine, start.line, what, options.recordName);
      return { item, next: 'more' };
    }
    // records never nest, so another record start or the root's end means this record was never closed
    if (!tag.end && recordTag)
      return {
        item: broken(start.line, `${what} is not closed before the next <${tag.name}> on line ${tag.line}.`),
        next: tag,
      };
    if (tag.end && tag.key === options.rootName.toLowerCase())
      return {
        item: broken(start.line, `${what} is not closed before </${tag.name}> on line ${tag.line}.`),
        next: 'rootClosed',
      };
    if (tag.end) depth = Math.max(0, depth - 1);
    else if (!tag.selfClosing) depth++;
    tooDeep ||= depth + (tag.selfClosing ? 1 : 0) > options.maxDepth;
    add(tag.raw);
  }
}

/** Streams the records of `<rootName><recordName>…</recordName>…</rootName>`; see XmlReadOptions for the limits. */
export async function* readXmlRecords(
  input: AsyncIterable<string>,
  options: XmlReadOptions,
): AsyncGenerator<ParsedItem> {
  const { rootName, recordName } = options;
  const scanner = new Scanner(input[Symbol.asyncIterator]());
  if ((await scanner.peek(1)) === '\uFEFF') scanner.consume(1, null);

  const root = await nextTag(scanner, `before <${rootName}>`);
  if (!root) throw refused(`The file is empty or has no <${rootName}> element.`);
  if (root.unclosedQuote) throw refused(`Line ${root.line}: an attribute of <${root.name}> has no closing quote.`);
  if (root.end || root.key !== rootName.toLowerCase()) {
    throw refused(
      `Line ${root.line}: the file starts with <${root.end ? '/' : ''}${root.name}>, but it must start with ` +
        `<${rootName}>. Is this the right file?`,
    );
  }
  let pending: Tag | null = null;
  while (!root.selfClosing) {
    const tag: Tag | null = pending ?? (await nextTag(scanner, `inside <${rootName}>`));
    pending = null;
    if (!tag) throw refused(`The file ends before </${rootName}>: it looks cut off.`);
    if (tag.end && tag.key === root.key) break;
    if (tag.end || tag.key !== recordName.toLowerCase()) {
      throw refused(
        `Line ${tag.line}: <${tag.end ? '/' : ''}${tag.name}> is not allowed directly inside <${rootName}>, ` +
          `only <${recordName}> elements are.`,
      );
    }
    const { item, next } = await readRecord(scanner, tag, options);
    yield item;
    if (next === 'rootClosed') break;
    if (next !== 'more') pending = next;
  }
  const extra = await nextTag(scanner, `after the end of <${rootName}>`);
  if (extra)
    throw refused(
      `Line ${extra.line}: unexpected <${extra.end ? '/' : ''}${extra.name}> after the end of <${rootName}>.`,
    );
}
