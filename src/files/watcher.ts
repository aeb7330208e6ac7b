import { lstat, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { WatchSettings } from '../config/config-types.ts';
import {
  doneMarkerSuffix,
  type FileState,
  fileState,
  isTemporaryName,
  notOpenForWriting,
  quietPeriodMs,
  sameContentState,
} from './arrival.ts';

export interface StableFile {
  path: string;
  authorityFolder: string;
  kindFolder: string;
}

interface Pending {
  state: FileState | null;
  since: number;
  quietMs: number;
}

/**
 * Watches `inbox/<authority>/<kind>/` and offers a file once its writer is done
 * (docs/file-arrival.md): never under a temporary name; unchanged for its quiet period (longer
 * for a CSV cut mid-row) and held open for writing by no process; or, for an authority in
 * done-marker mode, once `<name>.done` is there. Events find files at once; a walk of the
 * whole inbox every `rescanSeconds` finds what events miss (writes from other machines on a
 * shared volume) and offers again a file left in the inbox, whose reason may have been put right.
 */
export class InboxWatcher {
  private readonly pending = new Map<string, Pending>();
  private watcher: FSWatcher | null = null;
  private timers: NodeJS.Timeout[] = [];
  private checking = false;

  constructor(
    private readonly inbox: string,
    private readonly settings: WatchSettings,
    private readonly onStable: (file: StableFile) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.watcher = watch(this.inbox, {
      depth: 2,
      ignoreInitial: false,
      // A link in an authority's folder could point into another authority's folder.
      followSymlinks: false,
      // On a shared volume, events do not see other machines' writes: polling (and the rescan) do.
      usePolling: this.settings.usePolling,
      interval: this.settings.pollMs,
      ignored: (file) => file !== this.inbox && isTemporaryName(path.basename(file), this.settings),
    });
    const track = (file: string) => this.track(file);
    this.watcher.on('add', track).on('change', track).on('error', this.onError);
    await new Promise<void>((resolve) => this.watcher?.once('ready', () => resolve()));
    this.timers = [
      setInterval(() => void this.check(), this.settings.pollMs),
      setInterval(() => void this.rescan().catch(this.onError), this.settings.rescanSeconds * 1000),
    ];
  }

  private track(file: string): void {
    if (this.placeOf(file) && !this.pending.has(file))
      this.pending.set(file, { state: null, since: Date.now(), quietMs: this.settings.stableMs });
  }

  private placeOf(file: string): StableFile | null {
    const parts = path.relative(this.inbox, file).split(path.sep);
    if (parts.length !== 3) return null;
    const [authorityFolder, kindFolder, name] = parts as [string, string, string];
    if (isTemporaryName(name, this.settings)) return null;
    return { path: file, authorityFolder, kindFolder };
  }

  /** Every regular file at `<authority>/<kind>/<name>`, links neither followed nor taken. */
  private async rescan(): Promise<void> {
    const list = (folder: string) => readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const authority of await list(this.inbox)) {
      if (!authority.isDirectory()) continue;
      for (const kind of await list(path.join(this.inbox, authority.name))) {
        if (!kind.isDirectory()) continue;
        for (const entry of await list(path.join(this.inbox, authority.name, kind.name))) {
          if (entry.isFile()) this.track(path.join(this.inbox, authority.name, kind.name, entry.name));
        }
      }
    }
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const ready: { file: string; state: FileState; marker: string | null }[] = [];
      for (const [file, seen] of [...this.pending]) {
        const state = await fileState(file);
        if (state === null) {
          this.pending.delete(file);
          continue;
        }
        if (seen.state === null || !sameContentState(state, seen.state)) {
          this.pending.set(file, {
            state,
            since: Date.now(),
            quietMs: await quietPeriodMs(file, state.size, this.settings),
          });
          continue;
        }
        const place = this.placeOf(file);
        if (place !== null && this.settings.doneMarkerAuthorities.includes(place.authorityFolder)) {
          // The sender says when the file is complete; until then it waits, however long.
          const marker = `${file}${doneMarkerSuffix}`;
          if ((await lstat(marker).catch(() => null))?.isFile()) ready.push({ file, state, marker });
        } else if (Date.now() - seen.since >= seen.quietMs) {
          ready.push({ file, state, marker: null });
        }
      }
      for (const { file, marker } of await notOpenForWriting(ready, this.settings)) {
        this.pending.delete(file);
        const place = this.placeOf(file);
        if (place === null) continue;
        await this.onStable(place).catch(this.onError);
        const taken = (await fileState(file)) === null;
        if (marker !== null && taken) await unlink(marker).catch(() => {});
      }
    } finally {
      this.checking = false;
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.watcher?.close();
    while (this.checking) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
