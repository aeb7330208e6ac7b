import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { hashOfFirstBytes, inspectFile } from '../src/files/inspect.ts';

/** Files read a piece at a time into one buffer: what straddles two reads is read right. */
describe('inspecting a claimed file', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'intake-inspect-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  // "é" is two bytes: placed so that its first byte ends the first 64 KB read.
  const straddling = Buffer.concat([
    Buffer.from('a'.repeat(65_535)),
    Buffer.from('é\n'),
    Buffer.from('z'.repeat(70_000)),
  ]);

  it('reads a character cut by the end of a read as one character, and hashes every byte', async () => {
    const file = path.join(folder, 'straddling.csv');
    writeFileSync(file, straddling);
    const inspection = await inspectFile(file, straddling.length);
    expect(inspection.problem).to.equal(null);
    expect(inspection.sizeBytes).to.equal(straddling.length);
    expect(inspection.sha256).to.equal(createHash('sha256').update(straddling).digest('hex'));
  });

  it('refuses a file that ends inside a character, and one with a byte that is not UTF-8', async () => {
    const cut = path.join(folder, 'cut.csv');
    writeFileSync(cut, straddling.subarray(0, 65_536));
    expect((await inspectFile(cut, 65_536)).problem).to.match(/ends in the middle of a UTF-8 character/);
    const latin1 = path.join(folder, 'latin1.csv');
    const bytes = Buffer.concat([Buffer.from('a'.repeat(70_000)), Buffer.from([0xe9, 0x0a])]);
    writeFileSync(latin1, bytes);
    expect((await inspectFile(latin1, bytes.length)).problem).to.match(
      /not UTF-8 text \(an invalid byte near line 1\)/,
    );
  });

  it('hashes only the first bytes asked for, or all of a shorter file', async () => {
    const file = path.join(folder, 'grown.csv');
    writeFileSync(file, straddling);
    const first = straddling.subarray(0, 100_000);
    expect(await hashOfFirstBytes(file, 100_000)).to.equal(createHash('sha256').update(first).digest('hex'));
    expect(await hashOfFirstBytes(file, 10_000_000)).to.equal(createHash('sha256').update(straddling).digest('hex'));
    // No byte asked for: the empty input's hash, without opening the file.
    expect(await hashOfFirstBytes(path.join(folder, 'gone.csv'), 0)).to.equal(createHash('sha256').digest('hex'));
  });
});
