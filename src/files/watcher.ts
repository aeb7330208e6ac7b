import { stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { isIgnoredName } from './claim.ts';

export interface StableFile {
  path: string;
  authorityFolder: string;
  kindFolder: string;
}

interface Pending {
  size: number;
  mtimeMs: number;
  since: number;
}

/**
 * Watches `inbox/<authority>/<kind>/` and reports a file once its size and modification time
 * have not changed for `stableMs` — also for files already there at start-up — so a file still
 * being written is never taken.
 */
export class InboxWatcher {
  private readonly pending = new Map<string, Pending>();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    private readonly inbox: string,
    private readonly options: { stableMs: number; pollMs: number },
    private readonly onStable: (file: StableFile) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.watcher = watch(this.inbox, {
      depth: 2,
      ignoreInitial: false,
      // A link in an authority's folder could point into another authority's folder.
      followSymlinks: false,
      ignored: (file) => file !== this.inbox && isIgnoredName(path.basename(file)),
    });
    const track = (file: string) => {
      if (this.placeOf(file)) this.pending.set(file, { size: -1, mtimeMs: -1, since: Date.now() });
    };
    this.watcher.on('add', track).on('change', track).on('error', this.onError);
    await new Promise<void>((resolve) => this.watcher?.once('ready', () => resolve()));
    this.timer = setInterval(() => void this.check(), this.options.pollMs);
  }

  private placeOf(file: string): StableFile | null {
    const parts = path.relative(this.inbox, file).split(path.sep);
    if (parts.length !== 3) return null;
    const [authorityFolder, kindFolder] = parts as [string, string, string];
    return { path: file, authorityFolder, kindFolder };
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const [file, seen] of [...this.pending]) {
        const info = await stat(file).catch(() => null);
        if (info === null) {
          this.pending.delete(file);
          continue;
        }
        if (info.size !== seen.size || info.mtimeMs !== seen.mtimeMs) {
          this.pending.set(file, { size: info.size, mtimeMs: info.mtimeMs, since: Date.now() });
          continue;
        }
        if (Date.now() - seen.since < this.options.stableMs) continue;
        this.pending.delete(file);
        const place = this.placeOf(file);
        if (place) await this.onStable(place).catch(this.onError);
      }
    } finally {
      this.checking = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.watcher?.close();
    while (this.checking) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
