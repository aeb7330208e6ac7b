import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileInspection {
  sha256: string;
  sizeBytes: number;
  /** Why the file cannot be read as text at all, or null. */
  problem: string | null;
}

/**
 * One streaming pass over a claimed file: its content hash, and whether it is UTF-8 text.
 * Done before any row is applied, so a file with junk in its middle is refused whole.
 */
export async function inspectFile(path: string, sizeBytes?: number): Promise<FileInspection> {
  if (sizeBytes === 0)
    return {
      sha256: createHash('sha256').digest('hex'),
      sizeBytes: 0,
      problem: 'The file is empty. Send a file with a header row and its rows.',
    };
  const stream = createReadStream(path, sizeBytes === undefined ? {} : { end: sizeBytes - 1 });
  return inspectStream(stream);
}

/** Only the first `size` bytes' hash: whether a file that changed after its claim only grew. */
export async function hashOfFirstBytes(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  if (size > 0)
    for await (const chunk of createReadStream(path, { end: size - 1 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

async function inspectStream(stream: AsyncIterable<Buffer>): Promise<FileInspection> {
  const hash = createHash('sha256');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let sizeBytes = 0;
  let problem: string | null = null;
  let line = 1;
  for await (const chunk of stream) {
    hash.update(chunk);
    if (problem === null) {
      const zero = chunk.indexOf(0);
      if (zero >= 0) {
        line += countNewlines(chunk.subarray(0, zero));
        problem =
          `The file holds binary data (a zero byte on line ${line}); it is not a text file. Export the ` +
          `data again as UTF-8 CSV or XML.`;
      } else {
        try {
          decoder.decode(chunk, { stream: true });
          line += countNewlines(chunk);
        } catch {
          problem =
            `The file is not UTF-8 text (an invalid byte near line ${line}). Save it again with UTF-8 ` +
            `encoding and send it again.`;
        }
      }
    }
    sizeBytes += chunk.length;
  }
  if (problem === null) {
    try {
      decoder.decode();
    } catch {
      problem = 'The file ends in the middle of a UTF-8 character; it may be cut short. Send the whole file again.';
    }
  }
  if (problem === null && sizeBytes === 0) problem = 'The file is empty. Send a file with a header row and its rows.';
  return { sha256: hash.digest('hex'), sizeBytes, problem };
}

function countNewlines(buffer: Buffer): number {
  let count = 0;
  for (let index = buffer.indexOf(0x0a); index >= 0; index = buffer.indexOf(0x0a, index + 1)) count++;
  return count;
}
