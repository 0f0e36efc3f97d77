// Readiness of host fds through Node's own loop, for waitAny(). Node has no poll(2) on an
// arbitrary fd, so a host pipe, socket or tty given to waitAny is adopted: wrapped in a
// net.Socket whose reads libuv issues when the fd is readable, the bytes kept in the
// socket's buffer (bounded by its highWaterMark) until the program reads the fd. The fs
// patch serves fs.read/readSync/close of an adopted fd from here, so no byte is lost or
// reordered. Regular files and other devices are always readable, as poll(2) says.

import { fstatSync } from 'node:fs';
import net from 'node:net';
import { isatty } from 'node:tty';
import { nodeError } from './errors.js';

interface Adopted {
  readonly socket: net.Socket;
  /** The peer is done (EOF); Node has closed the fd. */
  eof: boolean;
  error: NodeJS.ErrnoException | undefined;
}

export class HostFds {
  private readonly adopted = new Map<number, Adopted>();

  /** Is this host fd adopted (its reads come from here)? */
  has(fd: number): boolean {
    return this.adopted.has(fd);
  }

  /** Resolves when host fd `fd` is readable (data, EOF or an error to report). */
  wait(fd: number, signal?: AbortSignal): Promise<void> {
    const a = this.adopted.get(fd) ?? this.adopt(fd);
    if (!a) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // a program waiting on this fd alone must stay alive (the socket is unref'd when idle)
      const stop = (): void => {
        a.socket.off('readable', check);
        a.socket.off('end', check);
        a.socket.off('error', check);
        signal?.removeEventListener('abort', onAbort);
        a.socket.unref();
      };
      const check = (): void => {
        if (a.socket.readableLength > 0 || a.eof || a.error) done();
      };
      const done = (): void => {
        stop();
        resolve();
      };
      const onAbort = (): void => {
        stop();
        reject(signal?.reason);
      };
      if (signal?.aborted) return onAbort();
      a.socket.ref();
      signal?.addEventListener('abort', onAbort, { once: true });
      a.socket.on('readable', check);
      a.socket.on('end', check);
      a.socket.on('error', check);
      check();
    });
  }

  /** Take up to n buffered bytes (empty at EOF), or null when none are there yet. */
  take(fd: number, n: number, syscall: string): Buffer | null {
    const a = this.adopted.get(fd);
    if (!a) return null;
    if (a.error) throw a.error;
    const k = Math.min(n, a.socket.readableLength);
    if (k > 0) return a.socket.read(k) as Buffer;
    if (a.eof || n === 0) return Buffer.alloc(0);
    if (a.socket.destroyed) throw nodeError('EBADF', syscall);
    return null;
  }

  /** read() on an adopted fd: buffered bytes, else wait for some. */
  async read(fd: number, n: number): Promise<Buffer> {
    for (;;) {
      const got = this.take(fd, n, 'read');
      if (got) return got;
      await this.wait(fd);
    }
  }

  /** close() on an adopted fd: the socket owns it now. */
  close(fd: number): void {
    const a = this.adopted.get(fd);
    this.adopted.delete(fd);
    if (a && !a.socket.destroyed) a.socket.destroy();
  }

  /** A host open returned `fd`: if Node had closed an adopted fd of that number, forget it. */
  reused(fd: number): void {
    const a = this.adopted.get(fd);
    if (a && a.socket.destroyed) this.adopted.delete(fd);
  }

  private adopt(fd: number): Adopted | undefined {
    const st = fstatSync(fd);
    if (!(st.isFIFO() || st.isSocket() || isatty(fd))) return undefined;
    const socket = new net.Socket({ fd, readable: true, writable: false, allowHalfOpen: true });
    const a: Adopted = { socket, eof: false, error: undefined };
    socket.on('end', () => {
      a.eof = true;
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      a.error = e;
    });
    // the socket must not keep the program alive on its own, as a bare fd would not
    socket.unref();
    this.adopted.set(fd, a);
    return a;
  }
}
