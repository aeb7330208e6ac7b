/**
 * Runs `intake ingest` as production runs Intake (`scripts/start-command.ts`: the build, the heap
 * flag of `npm start`), in a process of its own, whose peak resident size (VmHWM) and CPU
 * are read from `/proc` while it runs.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { startCommand } from '../scripts/start-command.ts';
import { processTimes } from './bench-db.ts';

/** Peak resident MB and CPU seconds so far of a live process (null once it is gone). */
function processNow(pid: number): { peakMb: number; cpuSeconds: number } | null {
  try {
    const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const times = processTimes(pid);
    return times === null ? null : { peakMb: kb / 1024, cpuSeconds: times.own };
  } catch {
    return null;
  }
}

export interface CompiledRun {
  seconds: number;
  peakMb: number;
  cpuSeconds: number;
  heapFlags: string[];
  summary: { outcome: string; accepted: number; referred: number; invalid: number };
}

export async function runCompiledIngest(url: string, home: string, file: string): Promise<CompiledRun> {
  const command = startCommand();
  const heapFlags = command.slice(0, -1);
  const args = [...command, '--home', home, 'ingest', file];
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [...args, '--authority', 'A.0094', '--kind', 'enrolment', '--as-of', '2026-09-15', '--json'],
    { env: { ...process.env, DATABASE_URL: url, INTAKE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let last = { peakMb: 0, cpuSeconds: 0 };
  const timer = setInterval(() => {
    // A process that has exited but is not yet reaped reads as no memory and no time: keep the most.
    const now = processNow(child.pid as number);
    if (now)
      last = { peakMb: Math.max(last.peakMb, now.peakMb), cpuSeconds: Math.max(last.cpuSeconds, now.cpuSeconds) };
  }, 50);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(timer);
  if (code !== 0) throw new Error(`intake ingest exited with ${code}: ${output}`);
  return { seconds: (Date.now() - started) / 1000, ...last, heapFlags, summary: JSON.parse(output) };
}
