// Unix socket listeners with the right mode from the first instant.
//
// bind(2) creates the socket file with mode 0777 & ~umask, so the mode is set by narrowing
// the umask around the synchronous bind inside server.listen() and restoring it right after
// (a chmod afterwards would leave a window where the socket is open to everyone).
// Before binding: parent directories are created; a stale socket file (nobody accepts:
// connect gives ECONNREFUSED) is replaced; a live one is "address in use"; a file that is
// not a socket is never touched.

import { lstat, mkdir, unlink } from 'node:fs/promises';
import { lstatSync, unlinkSync } from 'node:fs';
import { createConnection, type Server } from 'node:net';
import { dirname } from 'node:path';

/** Linux sun_path is 108 bytes with the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

export type UnixSocketErrorCode = 'EADDRINUSE' | 'ENOTSOCK' | 'ENAMETOOLONG';

export class UnixSocketError extends Error {
  override readonly name = 'UnixSocketError';
  constructor(
    readonly code: UnixSocketErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** A net.Server (http.Server included), or a fastify-like instance (its server, after ready()). */
export type Listenable = Server | { readonly server: Server; ready(): PromiseLike<unknown> };

export interface ListenUnixOptions {
  /** Mode of created parent directories (default 0o755, less the umask). */
  readonly dirMode?: number;
}

export interface UnixListener {
  readonly path: string;
  readonly mode: number;
  /** Inode of the socket file (to remove only this very file). */
  readonly ino: number;
  /** Stop accepting, remove the socket file, then wait for open connections to end. */
  close(): Promise<void>;
}

/** Listen on a Unix socket at `path` with file mode `mode` (default 0o600). */
export async function listenUnix(
  target: Listenable,
  path: string,
  mode = 0o600,
  opts: ListenUnixOptions = {},
): Promise<UnixListener> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new UnixSocketError(
      'ENAMETOOLONG',
      path,
      `socket path too long (${Buffer.byteLength(path)} bytes, at most ${MAX_SOCKET_PATH_BYTES}): ${path}`,
    );
  }
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777)
    throw new RangeError(`socket mode must be 0..0o777, got ${String(mode)}`);
  let server: Server;
  if ('ready' in target && 'server' in target) {
    await target.ready();
    server = target.server;
  } else {
    server = target as Server;
  }

  await mkdir(dirname(path), { recursive: true, mode: opts.dirMode ?? 0o755 });
  await clearStaleSocket(path);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE')
        reject(new UnixSocketError('EADDRINUSE', path, `address in use: ${path}`));
      else reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    const previous = process.umask(~mode & 0o777);
    try {
      server.listen(path);
    } finally {
      process.umask(previous);
    }
  });

  const ino = (await lstat(path)).ino;
  let closing: Promise<void> | undefined;
  return {
    path,
    mode,
    ino,
    close(): Promise<void> {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        removeSocketFileSync(path, ino);
        const http = server as Server & { closeIdleConnections?: () => void };
        http.closeIdleConnections?.();
        await closed;
      })();
      return closing;
    },
  };
}

/** Is someone accepting connections on the socket at path? */
function probe(path: string): Promise<'live' | 'stale' | 'gone'> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      // Leave politely (half-close, read what the server says) rather than with a reset,
      // which could make the live server's next write fail with EPIPE.
      socket.on('error', () => undefined);
      socket.resume();
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
      resolve('live');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      if (err.code === 'ECONNREFUSED') resolve('stale');
      else if (err.code === 'ENOENT') resolve('gone');
      else if (err.code === 'EAGAIN')
        resolve('live'); // backlog full: someone listens
      else reject(err);
    });
  });
}

async function clearStaleSocket(path: string): Promise<void> {
  let stat;
  try {
    stat = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stat.isSocket()) {
    throw new UnixSocketError('ENOTSOCK', path, `${path} exists and is not a socket; not replacing it`);
  }
  const state = await probe(path);
  if (state === 'live')
    throw new UnixSocketError(
      'EADDRINUSE',
      path,
      `address in use: ${path} (another process accepts connections on it)`,
    );
  if (state === 'stale') await removeSocketFile(path);
}

/** Remove a socket file (at shutdown). False if there was none; a non-socket file is an error, never deleted. */
export async function removeSocketFile(path: string): Promise<boolean> {
  let stat;
  try {
    stat = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (!stat.isSocket())
    throw new UnixSocketError('ENOTSOCK', path, `${path} is not a socket; not removing it`);
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  return true;
}

/**
 * Synchronous removal, for exit paths that cannot wait. With `ino`, only that very file
 * (not a socket some other process has since bound at the same path). Never throws.
 */
export function removeSocketFileSync(path: string, ino?: number): boolean {
  try {
    const stat = lstatSync(path);
    if (!stat.isSocket() || (ino !== undefined && stat.ino !== ino)) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
