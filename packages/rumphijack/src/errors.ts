// Rump kernel failures as the errors Node's fs throws: `ENOENT: no such file or directory,
// open '/rump/dev/nope'` with errno (negative, libuv's convention), code, syscall and path.
// The code is the rump errno's name (NetBSD's); errno is the host's number for that name
// when the host has one, so `err.code === 'ENOENT'` checks work unchanged.

import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { ERRNO, SyscallError, errnoName } from '@rumpflow/rumpclient';

const HOST_MESSAGES = new Map<string, string>(
  [...getSystemErrorMap().values()].map(([name, msg]) => [name, msg]),
);
const HOST_ERRNO = constants.errno as Readonly<Record<string, number>>;

/** Node's error for code (an errno name) from syscall, on path if any. */
export function nodeError(
  code: string,
  syscall: string,
  path?: string,
  errno?: number,
): NodeJS.ErrnoException {
  const text = HOST_MESSAGES.get(code) ?? code.toLowerCase();
  const err: NodeJS.ErrnoException = new Error(
    `${code}: ${text}, ${syscall}${path !== undefined ? ` '${path}'` : ''}`,
  );
  err.errno = HOST_ERRNO[code] !== undefined ? -(HOST_ERRNO[code] as number) : -(errno ?? 0);
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

/**
 * A thrown value from the rump side as Node's error: SyscallError by its NetBSD errno name,
 * an abort stays an abort, anything else (a bug) is EIO so fs callers see an errno.
 */
export function fromRump(e: unknown, syscall: string, path?: string): Error {
  if (e instanceof SyscallError) return nodeError(errnoName(e.errno), syscall, path, e.errno);
  if (e instanceof Error && e.name === 'AbortError') return e;
  if (
    e instanceof Error &&
    typeof (e as NodeJS.ErrnoException).code === 'string' &&
    (e as NodeJS.ErrnoException).syscall
  )
    return e;
  return nodeError('EIO', syscall, path, ERRNO.EIO);
}
