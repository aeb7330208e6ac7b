import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type FileHandle, lstat, open, rename, stat, unlink } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import path from 'node:path';
import ssh2, { type SFTPWrapper } from 'ssh2';

// ssh2 is CommonJS: its parts are read off the default export (named imports fail under plain Node).
const { Client, Server, utils } = ssh2;

const { OPEN_MODE, STATUS_CODE } = utils.sftp;

/**
 * An SFTP server on loopback (the `ssh2` package) that writes into `root` through the file
 * system, one open descriptor per SFTP handle, as OpenSSH's sftp-server does: a client that
 * stalls mid-upload leaves its file open for writing, and a rename is a rename in `root`.
 */
export interface SftpServer {
  port: number;
  username: string;
  password: string;
  /** The client key the server also accepts (OpenSSH format), for clients that take no password in batch mode. */
  clientKey: string;
  close(): Promise<void>;
}

export async function startSftpServer(root: string): Promise<SftpServer> {
  const username = 'authority';
  const password = randomBytes(12).toString('hex');
  const clientKeys = utils.generateKeyPairSync('ed25519');
  const allowedKey = utils.parseKey(clientKeys.public);
  if (allowedKey instanceof Error) throw allowedKey;
  const hostKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs1',
    format: 'pem',
  });
  const openFiles = new Set<FileHandle>();
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (context) => {
      if (context.username !== username) return context.reject(['password', 'publickey']);
      if (context.method === 'password' && context.password === password) return context.accept();
      if (
        context.method === 'publickey' &&
        context.key.algo === allowedKey.type &&
        context.key.data.equals(allowedKey.getPublicSSH())
      ) {
        // Without a signature the client only asks whether the key would do.
        if (!context.signature) return context.accept();
        if (context.blob && allowedKey.verify(context.blob, context.signature, context.hashAlgo) === true)
          return context.accept();
      }
      context.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        acceptSession().on('sftp', (acceptSftp) => serveSftp(acceptSftp(), root, openFiles));
      });
    });
    client.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    username,
    password,
    clientKey: clientKeys.private,
    async close() {
      for (const handle of openFiles) await handle.close().catch(() => {});
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serveSftp(sftp: SFTPWrapper, root: string, openFiles: Set<FileHandle>): void {
  const inRoot = (name: string) => path.join(root, path.posix.normalize(`/${name}`));
  const handles = new Map<string, FileHandle>();
  let next = 0;
  const fileOf = (handle: Buffer) => {
    const file = handles.get(handle.toString('hex'));
    if (file === undefined) throw new Error('no such handle');
    return file;
  };
  const attributes = (info: Stats) => ({
    mode: info.mode,
    uid: info.uid,
    gid: info.gid,
    size: info.size,
    atime: info.atimeMs / 1000,
    mtime: info.mtimeMs / 1000,
  });
  const answer = (reqId: number, work: () => Promise<void>) => {
    work().catch(() => sftp.status(reqId, STATUS_CODE.FAILURE));
  };
  // The client is done (its EOF): close the channel, as OpenSSH's server does, so the client exits.
  sftp.on('end', () => sftp.end());
  sftp.on('REALPATH', (reqId, name) => {
    const resolved = path.posix.normalize(`/${name}`);
    sftp.name(reqId, [
      { filename: resolved, longname: resolved, attrs: { mode: 0o40755, uid: 0, gid: 0, size: 0, atime: 0, mtime: 0 } },
    ]);
  });
  sftp.on('OPEN', (reqId, name, flags) =>
    answer(reqId, async () => {
      // The descriptor stays open until the client closes the handle, however long it stalls.
      const file = await open(
        inRoot(name),
        utils.sftp.flagsToString(flags) ?? (flags & OPEN_MODE.WRITE ? 'w' : 'r'),
        0o640,
      );
      const key = Buffer.alloc(4);
      key.writeUInt32BE(next++);
      handles.set(key.toString('hex'), file);
      openFiles.add(file);
      sftp.handle(reqId, key);
    }),
  );
  sftp.on('WRITE', (reqId, handle, offset, data) =>
    answer(reqId, async () => {
      await fileOf(handle).write(data, 0, data.length, offset);
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on('CLOSE', (reqId, handle) =>
    answer(reqId, async () => {
      const file = fileOf(handle);
      handles.delete(handle.toString('hex'));
      openFiles.delete(file);
      await file.close();
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on('FSTAT', (reqId, handle) =>
    answer(reqId, async () => sftp.attrs(reqId, attributes(await fileOf(handle).stat()))),
  );
  sftp.on('STAT', (reqId, name) => answer(reqId, async () => sftp.attrs(reqId, attributes(await stat(inRoot(name))))));
  sftp.on('LSTAT', (reqId, name) =>
    answer(reqId, async () => sftp.attrs(reqId, attributes(await lstat(inRoot(name))))),
  );
  sftp.on('SETSTAT', (reqId) => sftp.status(reqId, STATUS_CODE.OK));
  sftp.on('FSETSTAT', (reqId) => sftp.status(reqId, STATUS_CODE.OK));
  sftp.on('RENAME', (reqId, from, to) =>
    answer(reqId, async () => {
      await rename(inRoot(from), inRoot(to));
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on('REMOVE', (reqId, name) =>
    answer(reqId, async () => {
      await unlink(inRoot(name));
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
}

/** An SFTP client session (the `ssh2` package) to that server. */
export async function connectSftp(server: {
  port: number;
  username: string;
  password: string;
}): Promise<{ sftp: SFTPWrapper; end(): void }> {
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve()).once('error', reject);
    client.connect({
      host: '127.0.0.1',
      port: server.port,
      username: server.username,
      password: server.password,
      hostVerifier: () => true,
    });
  });
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
    client.sftp((error, session) => (error ? reject(error) : resolve(session))),
  );
  return { sftp, end: () => client.end() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Uploads `content` to `remotePath` as an SFTP client does (open, writes of 32 KiB at rising
 * offsets, close), stopping once `stall.afterBytes` are written, as a slow or interrupted link does; with `renameTo`,
 * renames the file when complete (WinSCP's .filepart).
 */
export interface UploadOptions {
  /** Stop once `afterBytes` are written: for `ms`, or until `until` says so (checked every 50 ms). */
  stall?: { afterBytes: number; ms?: number; until?: () => boolean };
  pauseEveryWriteMs?: number;
  renameTo?: string;
}

export async function upload(
  sftp: SFTPWrapper,
  remotePath: string,
  content: Buffer,
  options: UploadOptions = {},
): Promise<void> {
  const call = <T>(work: (done: (error: Error | null | undefined, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => work((error, value) => (error ? reject(error) : resolve(value as T))));
  const handle = await call<Buffer>((done) => sftp.open(remotePath, 'w', done));
  let stalled = false;
  for (let offset = 0; offset < content.length; ) {
    let length = Math.min(32 * 1024, content.length - offset);
    if (options.stall && !stalled && offset + length > options.stall.afterBytes)
      length = Math.max(1, options.stall.afterBytes - offset);
    await call<void>((done) => sftp.write(handle, content, offset, length, offset, (error) => done(error)));
    offset += length;
    if (options.stall && !stalled && offset >= options.stall.afterBytes) {
      stalled = true;
      if (options.stall.ms) await sleep(options.stall.ms);
      while (options.stall.until && !options.stall.until()) await sleep(50);
    }
    if (options.pauseEveryWriteMs) await sleep(options.pauseEveryWriteMs);
  }
  await call<void>((done) => sftp.close(handle, (error) => done(error)));
  if (options.renameTo)
    await call<void>((done) => sftp.rename(remotePath, options.renameTo as string, (error) => done(error)));
}

/**
 * A TCP relay to `port` that holds what the client sends once `afterBytes` have passed, for
 * `ms`: a link that stalls mid-upload, for clients whose writes cannot be paced from outside.
 */
export async function startStallingRelay(
  port: number,
  stall: { afterBytes: number; ms: number },
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let passed = 0;
    let stalled = false;
    client.on('data', (data: Buffer) => {
      passed += data.length;
      if (!stalled && passed >= stall.afterBytes) {
        stalled = true;
        client.pause();
        upstream.write(data);
        setTimeout(() => client.resume(), stall.ms);
        return;
      }
      upstream.write(data);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
