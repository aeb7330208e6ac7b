import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { SingleBar } from 'cli-progress';

/** Where progress is drawn: standard error, or any stream that says it is a terminal. */
type ProgressOutput = Writable & { isTTY?: boolean; columns?: number };

/** One line redrawn in place: rows done, rows per second and an estimate of the time left. */
export interface ProgressPrinter {
  /** Starts the line of one file; resolves once the file's lines are counted (the estimate needs them). */
  begin(label: string, file: string): Promise<void>;
  /** The file's rows done so far, and the line of the file the last of them came from. */
  update(rowsDone: number, line: number): void;
  /** Clears the line, so what the command prints next stands alone. Harmless when nothing is drawn. */
  end(): void;
}

const silent: ProgressPrinter = { begin: async () => {}, update: () => {}, end: () => {} };

/** Lines of a file as the readers number them: LF, CRLF or a lone CR ends one; a last line may have no end. */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  let previous = -1;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === 0x0d || (byte === 0x0a && previous !== 0x0d)) lines++;
      previous = byte;
    }
  }
  return previous === -1 || previous === 0x0a || previous === 0x0d ? lines : lines + 1;
}

interface Seen {
  at: number;
  rows: number;
  line: number;
}

const number = new Intl.NumberFormat('en-CA', { maximumFractionDigits: 0 });

function duration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * The line's text, at most `width` characters; the bar takes what room the numbers leave. Rates
 * and the estimate are measured from the first chunk this run committed, not from the start: the
 * rows a stopped run applied before, and the time the claim took, are no part of this run's pace.
 *
 * The estimate is the part of the file's lines read so far (the line of the last row done, of the
 * lines counted): the row count is not known before the file is read, and a record is one line
 * of a CSV file. The rest is assumed to go at the pace of this run so far. A file with fewer
 * lines than rows (XML written on one line) gets no estimate rather than a wrong one.
 */
function describe(label: string, lines: number | null, first: Seen | null, last: Seen | null, width: number): string {
  if (first === null || last === null) return `${label}: starting`.slice(0, width);
  const part = (seen: Seen) => (lines !== null && lines > 0 && last.line >= last.rows ? seen.line / lines : null);
  const [from, to] = [part(first), part(last)];
  const numbers = [`${number.format(last.rows)} ${last.rows === 1 ? 'row' : 'rows'}`];
  if (to !== null) numbers.unshift(`${Math.floor(Math.min(to, 1) * 100)}%`);
  const seconds = (last.at - first.at) / 1000;
  if (seconds > 0) numbers.push(`${number.format((last.rows - first.rows) / seconds)} rows/s`);
  // Once every line is read there is no estimate: what is left (the report, letters) is not rows.
  if (seconds > 0 && from !== null && to !== null && to > from && to < 1) {
    numbers.push(`about ${duration((seconds * (1 - to)) / (to - from))} left`);
  }
  const text = `${label}  ${numbers.join('  ')}`;
  const room = Math.min(30, width - text.length - 1);
  if (to === null || room < 10) return text.slice(0, width);
  const filled = Math.round(Math.min(to, 1) * room);
  return `${label} ${'█'.repeat(filled)}${'░'.repeat(room - filled)} ${numbers.join('  ')}`;
}

/**
 * While the line is up, whatever else is written to its stream (a log line) clears it first, so
 * the two never run together; the line comes back below on its next frame. The cursor is saved
 * again there: the bar goes back to the position saved at its start when it clears itself, which
 * a log line has moved. Returns the undo.
 */
function keepApart(output: ProgressOutput, bar: SingleBar): () => void {
  const write = output.write;
  let drawing = false;
  const drawStarts = () => {
    drawing = true;
  };
  const drawEnds = () => {
    drawing = false;
  };
  bar.on('redraw-pre', drawStarts);
  bar.on('redraw-post', drawEnds);
  const patched = (...args: unknown[]): boolean => {
    if (drawing) return Reflect.apply(write, output, args) as boolean;
    Reflect.apply(write, output, ['\r\u001b[2K']);
    const written = Reflect.apply(write, output, args) as boolean;
    Reflect.apply(write, output, ['\u001b7']);
    return written;
  };
  output.write = patched as ProgressOutput['write'];
  return () => {
    output.write = write;
    bar.off('redraw-pre', drawStarts);
    bar.off('redraw-post', drawEnds);
  };
}

/**
 * Progress on `output` when it is a terminal and the command's output is not JSON; otherwise a
 * printer that prints nothing, so pipes, files and scripts see only what they saw before.
 */
export function progressPrinter(
  output: ProgressOutput,
  options: { json?: boolean; now?: () => number } = {},
): ProgressPrinter {
  if (output.isTTY !== true || options.json === true) return silent;
  const now = options.now ?? Date.now;
  let label = '';
  let lines: number | null = null;
  let first: Seen | null = null;
  let last: Seen | null = null;
  let generation = 0;
  let undo: (() => void) | null = null;
  const bar = new SingleBar({
    stream: output,
    // One column short of the width: a line that fills it would wrap on some terminals.
    format: (_options, params) => describe(label, lines, first, last, Math.max(0, params.maxWidth - 1)),
    // Every frame is drawn, also unchanged: a log line may have cleared it.
    forceRedraw: true,
    clearOnComplete: true,
    // Terminal settings stay as they are (cursor, line wrapping), and no signal handler is added:
    // a Ctrl-C leaves a usable terminal and still ends the command. The line is cut to the width.
    hideCursor: false,
    linewrap: true,
    gracefulExit: false,
  });
  const end = () => {
    generation++;
    undo?.();
    undo = null;
    bar.stop();
  };
  return {
    async begin(name, file) {
      end();
      const mine = generation;
      [label, lines, first, last] = [name, null, null, null];
      bar.start(1, 0);
      undo = keepApart(output, bar);
      const counted = await countLines(file).catch(() => null);
      if (mine === generation) lines = counted;
    },
    update(rowsDone, line) {
      last = { at: now(), rows: rowsDone, line };
      first ??= last;
      bar.update(0);
    },
    end,
  };
}
