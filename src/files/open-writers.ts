import { readdir, readFile, stat } from 'node:fs/promises';

/** A file as the kernel knows it, whatever name it has now. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

const key = (file: FileIdentity) => `${file.dev}:${file.ino}`;
/** O_WRONLY and O_RDWR: the access mode bits of an open file's flags. */
const writeAccess = 0o3;

/**
 * Which of these files some process on this machine holds open for writing, read from
 * /proc/<pid>/fd and /proc/<pid>/fdinfo (Linux). Processes this one may not inspect (other
 * users', unless it runs as root or with CAP_SYS_PTRACE) and writers on other machines (NFS) are
 * not seen: for those the stability window is the only guard. Off Linux nothing is seen.
 */
export async function openForWriting(files: readonly FileIdentity[]): Promise<Set<string>> {
  const wanted = new Set(files.map(key));
  const found = new Set<string>();
  if (wanted.size === 0) return found;
  const processes = await readdir('/proc').catch(() => [] as string[]);
  for (const pid of processes) {
    if (!/^\d+$/.test(pid)) continue;
    const descriptors = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of descriptors) {
      // stat follows the descriptor's link to the open file itself, even if it was renamed since.
      const info = await stat(`/proc/${pid}/fd/${fd}`).catch(() => null);
      if (info === null || !info.isFile()) continue;
      const identity = key(info);
      if (!wanted.has(identity) || found.has(identity)) continue;
      const fdinfo = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
      const flags = /^flags:\s*([0-7]+)/m.exec(fdinfo)?.[1];
      if (flags !== undefined && (Number.parseInt(flags, 8) & writeAccess) !== 0) found.add(identity);
    }
  }
  return found;
}

export function identityKey(file: FileIdentity): string {
  return key(file);
}
