import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { ParsedItem } from './records.ts';

/** The fields of one XML record, once the streaming scanner has cut it out of the file. */

const XML_CHAR = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]$/u;
const PREDEFINED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

const isXmlSpace = (text: string) => /^[ \t\r\n]*$/.test(text);
export const broken = (line: number, problem: string): ParsedItem => ({ kind: 'broken', broken: { line, problem } });

class RecordProblem extends Error {}

// Values stay strings as written; decodeReferences decodes entities, more strictly than the parser would.
// Lower-casing names here, before the parser's own check, makes it refuse <__PROTO__> too, and stops it
// renaming fields such as <toString> to "__toString".
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: false,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
  transformTagName: (name) => name.toLowerCase(),
});

export function parseRecord(
  inner: string,
  innerLine: number,
  line: number,
  what: string,
  recordName: string,
): ParsedItem {
  // Our own wrapper tags: the scanner already matched the record's tags case-insensitively, XML would not.
  const xml = `<${recordName}>${inner.replace(/\r\n?/g, '\n')}</${recordName}>`;
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    const absolute = (relative: number) => innerLine + relative - 1;
    const message = validation.err.msg.replace(
      /in line (\d+)(, col \d+)?/g,
      (_, relative: string) => `in line ${absolute(Number(relative))}`,
    );
    return broken(line, `${what} is not well-formed XML: line ${absolute(validation.err.line)}: ${message}`);
  }
  try {
    const fields: Record<string, string> = {};
    for (const child of childNodes(firstOf(parser.parse(xml)))) {
      const name = nodeName(child);
      if (name === '#text' || name === '#cdata') {
        if (name === '#cdata' || !isXmlSpace(nodeText(child))) throw new RecordProblem('it has text outside any field');
        continue;
      }
      if (Object.hasOwn(fields, name)) throw new RecordProblem(`field <${name}> appears twice`);
      fields[name] = fieldValue(child, name).trim();
    }
    return { kind: 'record', record: { line, fields } };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    // fast-xml-parser throws for names that could pollute prototypes: <__proto__>, <constructor>, <prototype>
    return broken(line, `${what} cannot be read: ${error.message}.`);
  }
}

// With preserveOrder, every node is an object whose single key is the tag name ('#text', '#cdata' for content).
const firstOf = (tree: unknown): unknown => (Array.isArray(tree) ? tree[0] : undefined);
const nodeName = (node: unknown): string => (isObject(node) ? (Object.keys(node)[0] ?? '') : '');
const isObject = (node: unknown): node is Record<string, unknown> => typeof node === 'object' && node !== null;
function childNodes(node: unknown): unknown[] {
  const children = isObject(node) ? node[nodeName(node)] : undefined;
  return Array.isArray(children) ? children : [];
}
function nodeText(node: unknown): string {
  const text = isObject(node) ? node['#text'] : undefined;
  return typeof text === 'string' ? text : '';
}

function fieldValue(field: unknown, name: string): string {
  let value = '';
  for (const part of childNodes(field)) {
    const partName = nodeName(part);
    if (partName === '#text') value += decodeReferences(nodeText(part), name);
    else if (partName === '#cdata') value += childNodes(part).map(nodeText).join('');
    else throw new RecordProblem(`field <${name}> must be plain text`);
  }
  return value;
}

/** fast-xml-parser leaves numeric references and unknown entities like &foo; as they are, so we decode here. */
function decodeReferences(text: string, field: string): string {
  return text.replace(
    /&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][\w.-]*)?(;?)/g,
    (reference, body: string | undefined, semicolon: string) => {
      if (!body || !semicolon) throw new RecordProblem(`field <${field}> contains a bare '&' (write it as &amp;)`);
      if (!body.startsWith('#')) {
        const decoded = PREDEFINED_ENTITIES[body];
        if (decoded === undefined) throw new RecordProblem(`field <${field}> uses the unknown entity ${reference}`);
        return decoded;
      }
      const code = body.startsWith('#x') ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!(code <= 0x10ffff && XML_CHAR.test(String.fromCodePoint(code))))
        throw new RecordProblem(`field <${field}> uses ${reference}, which is not a valid character`);
      return String.fromCodePoint(code);
    },
  );
}
