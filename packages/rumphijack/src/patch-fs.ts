// The fs patch: every entry point a program uses on a device or file — callback, promise and
// sync forms of open, close, read, write, readv, writev, fstat — checks its path or fd and
// hands hijacked ones to the kernel (hijack.ts), everything else to the original function
// untouched. createReadStream/createWriteStream need nothing of their own: Node's streams call
// fs.open/read/write/writev/close on the fs module object, which is what is patched here.
// syncBuiltinESMExports() then makes `import { openSync } from 'node:fs'` see the patch.

import fs, { type BigIntStats, type PathLike, type Stats } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isArrayBufferView } from 'node:util/types';
import { nodeError } from './errors.js';
import { RumpFileHandle } from './filehandle.js';
import { rumpOpenFlags } from './flags.js';
import type { Hijack } from './hijack.js';
import type { HostFds } from './host-fds.js';
import { toStats } from './stats.js';

type Fn = (...args: never[]) => unknown;
type Callback = (err: Error | null, ...rest: unknown[]) => void;

/** The path as a string, when it is one a program could mean for the kernel. */
export function pathString(p: unknown): string | undefined {
  if (typeof p === 'string') return p;
  if (Buffer.isBuffer(p)) return p.toString();
  if (p instanceof URL && p.protocol === 'file:') return fileURLToPath(p);
  return undefined;
}

function bytes(v: NodeJS.ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Arguments of read/readSync after Node's overloads. */
interface ReadArgs {
  buffer: NodeJS.ArrayBufferView;
  offset: number;
  length: number;
  position: number | bigint | null;
}

interface ReadOptions {
  buffer?: NodeJS.ArrayBufferView;
  offset?: number;
  length?: number;
  position?: number | bigint | null;
}

function readArgs(rest: readonly unknown[]): ReadArgs {
  const [a, b, c, d] = rest;
  if (isArrayBufferView(a)) {
    const o = (b !== null && typeof b === 'object' ? b : undefined) as ReadOptions | undefined;
    const offset = o ? (o.offset ?? 0) : ((b as number | undefined) ?? 0);
    const length = o
      ? (o.length ?? a.byteLength - offset)
      : ((c as number | undefined) ?? a.byteLength - offset);
    const position = o ? (o.position ?? null) : ((d as number | bigint | null | undefined) ?? null);
    return checkRange({ buffer: a, offset, length, position });
  }
  const o = (a ?? {}) as ReadOptions;
  const buffer = o.buffer ?? Buffer.alloc(16384);
  const offset = o.offset ?? 0;
  return checkRange({
    buffer,
    offset,
    length: o.length ?? buffer.byteLength - offset,
    position: o.position ?? null,
  });
}

function checkRange(r: ReadArgs): ReadArgs {
  if (!Number.isInteger(r.offset) || r.offset < 0 || r.offset > r.buffer.byteLength) {
    throw rangeError('offset', r.offset, `>= 0 && <= ${r.buffer.byteLength}`);
  }
  if (!Number.isInteger(r.length) || r.length < 0 || r.offset + r.length > r.buffer.byteLength) {
    throw rangeError('length', r.length, `>= 0 && <= ${r.buffer.byteLength - r.offset}`);
  }
  return r;
}

function rangeError(name: string, value: unknown, range: string): RangeError {
  const e = new RangeError(
    `The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`,
  );
  (e as RangeError & { code: string }).code = 'ERR_OUT_OF_RANGE';
  return e;
}

/** Arguments of write/writeSync after Node's overloads: the bytes and the position. */
interface WriteArgs {
  data: Uint8Array;
  position: number | bigint | null;
}

function writeArgs(rest: readonly unknown[]): WriteArgs {
  const [a, b, c, d] = rest;
  if (typeof a === 'string') {
    // write(fd, string[, position[, encoding]])
    const enc = (typeof c === 'string' ? c : 'utf8') as BufferEncoding;
    return { data: Buffer.from(a, enc), position: (b as number | null | undefined) ?? null };
  }
  if (!isArrayBufferView(a)) {
    const e = new TypeError(
      'The "buffer" argument must be of type string or an instance of Buffer, TypedArray, or DataView.',
    );
    (e as TypeError & { code: string }).code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  const all = bytes(a);
  if (b !== null && typeof b === 'object') {
    const o = b as { offset?: number; length?: number; position?: number | null };
    const offset = o.offset ?? 0;
    const r = checkRange({
      buffer: a,
      offset,
      length: o.length ?? all.byteLength - offset,
      position: o.position ?? null,
    });
    return { data: all.subarray(r.offset, r.offset + r.length), position: r.position };
  }
  const offset = (b as number | undefined) ?? 0;
  const r = checkRange({
    buffer: a,
    offset,
    length: (c as number | undefined) ?? all.byteLength - offset,
    position: (d as number | null | undefined) ?? null,
  });
  return { data: all.subarray(r.offset, r.offset + r.length), position: r.position };
}

/** Copy what the kernel returned into the caller's buffers, in order. */
function scatter(parts: readonly Uint8Array[], into: readonly NodeJS.ArrayBufferView[]): number {
  let n = 0;
  parts.forEach((p, i) => {
    const b = into[i];
    if (b) bytes(b).set(p);
    n += p.length;
  });
  return n;
}

function splitCallback(args: unknown[]): Callback {
  const cb = args.pop();
  if (typeof cb !== 'function') {
    const e = new TypeError(`The "cb" argument must be of type function. Received ${typeof cb}`);
    (e as TypeError & { code: string }).code = 'ERR_INVALID_ARG_TYPE';
    throw e;
  }
  return cb as Callback;
}

function deliver<T extends unknown[]>(p: Promise<T>, cb: Callback): void {
  p.then(
    (vals) => process.nextTick(() => cb(null, ...vals)),
    (e: Error) => process.nextTick(() => cb(e)),
  );
}

/**
 * Patch fs and fs/promises for `h`. Returns the undo (tests): it restores every original and
 * syncs the ESM exports again.
 */
export function patchFs(h: Hijack, host: HostFds): () => void {
  const orig = {
    open: fs.open,
    openSync: fs.openSync,
    close: fs.close,
    closeSync: fs.closeSync,
    read: fs.read,
    readSync: fs.readSync,
    write: fs.write,
    writeSync: fs.writeSync,
    readv: fs.readv,
    readvSync: fs.readvSync,
    writev: fs.writev,
    writevSync: fs.writevSync,
    fstat: fs.fstat,
    fstatSync: fs.fstatSync,
    promisesOpen: fs.promises.open,
  };
  const call = (f: Fn, args: unknown[]): unknown => (f as (...a: unknown[]) => unknown).apply(fs, args);
  const hostFd = (fd: number, syscall: string, path?: string): number => {
    host.reused(fd);
    return h.checkHostFd(fd, syscall, path);
  };

  const patched = {
    open(...args: unknown[]): void {
      const shown = pathString(args[0]);
      const route = shown === undefined ? undefined : h.route(shown);
      const cb = splitCallback(args);
      if (route?.to !== 'rump' || shown === undefined) {
        call(orig.open, [
          ...args,
          (err: Error | null, fd: number) => {
            if (err) return cb(err);
            try {
              cb(null, hostFd(fd, 'open', shown));
            } catch (e) {
              cb(e as Error);
            }
          },
        ]);
        return;
      }
      const [, flags, mode] = args as [unknown, string | number | undefined, number | undefined];
      deliver(
        h
          .open(route.path, rumpOpenFlags(flags), typeof mode === 'number' ? mode : 0o666, shown)
          .then((fd) => [fd]),
        cb,
      );
    },

    openSync(...args: unknown[]): number {
      const shown = pathString(args[0]);
      const route = shown === undefined ? undefined : h.route(shown);
      if (route?.to !== 'rump' || shown === undefined)
        return hostFd(call(orig.openSync, args) as number, 'open', shown);
      const [, flags, mode] = args as [unknown, string | number | undefined, number | undefined];
      return h.openSync(route.path, rumpOpenFlags(flags), typeof mode === 'number' ? mode : 0o666, shown);
    },

    close(...args: unknown[]): void {
      const fd = args[0];
      if (typeof fd === 'number' && host.has(fd)) {
        host.close(fd);
        const cb = args[1];
        if (typeof cb === 'function') process.nextTick(() => (cb as Callback)(null));
        return;
      }
      if (!h.owns(fd)) return void call(orig.close, args);
      const cb = typeof args[1] === 'function' ? (args[1] as Callback) : () => undefined;
      deliver(
        h.close(fd).then(() => [] as unknown[]),
        cb,
      );
    },

    closeSync(...args: unknown[]): void {
      const fd = args[0];
      if (typeof fd === 'number' && host.has(fd)) return host.close(fd);
      if (!h.owns(fd)) return void call(orig.closeSync, args);
      h.closeSync(fd);
    },

    read(...args: unknown[]): void {
      const fd = args[0];
      const adopted = typeof fd === 'number' && host.has(fd);
      if (!h.owns(fd) && !adopted) return void call(orig.read, args);
      const cb = splitCallback(args);
      const r = readArgs(args.slice(1));
      const got = adopted ? host.read(fd, r.length) : h.read(fd as number, r.length, r.position);
      deliver(
        got.then((data) => {
          bytes(r.buffer).set(data, r.offset);
          return [data.length, r.buffer];
        }),
        cb,
      );
    },

    readSync(...args: unknown[]): number {
      const fd = args[0];
      if (typeof fd === 'number' && host.has(fd)) {
        const r = readArgs(args.slice(1));
        const data = host.take(fd, r.length, 'read');
        if (!data) throw nodeError('EAGAIN', 'read');
        bytes(r.buffer).set(data, r.offset);
        return data.length;
      }
      if (!h.owns(fd)) return call(orig.readSync, args) as number;
      const r = readArgs(args.slice(1));
      const data = h.readSync(fd, r.length, r.position);
      bytes(r.buffer).set(data, r.offset);
      return data.length;
    },

    write(...args: unknown[]): void {
      const fd = args[0];
      if (!h.owns(fd)) return void call(orig.write, args);
      const cb = splitCallback(args);
      const w = writeArgs(args.slice(1));
      deliver(
        h.write(fd, w.data, w.position).then((n) => [n, args[1]]),
        cb,
      );
    },

    writeSync(...args: unknown[]): number {
      const fd = args[0];
      if (!h.owns(fd)) return call(orig.writeSync, args) as number;
      const w = writeArgs(args.slice(1));
      return h.writeSync(fd, w.data, w.position);
    },

    readv(...args: unknown[]): void {
      const fd = args[0];
      if (!h.owns(fd)) return void call(orig.readv, args);
      const cb = splitCallback(args);
      const bufs = args[1] as NodeJS.ArrayBufferView[];
      const pos = (args[2] as number | null | undefined) ?? null;
      deliver(
        h
          .readv(
            fd,
            bufs.map((b) => b.byteLength),
            pos,
          )
          .then((parts) => [scatter(parts, bufs), bufs]),
        cb,
      );
    },

    readvSync(...args: unknown[]): number {
      const fd = args[0];
      if (!h.owns(fd)) return call(orig.readvSync, args) as number;
      const bufs = args[1] as NodeJS.ArrayBufferView[];
      const parts = h.readvSync(
        fd,
        bufs.map((b) => b.byteLength),
        (args[2] as number | null | undefined) ?? null,
      );
      return scatter(parts, bufs);
    },

    writev(...args: unknown[]): void {
      const fd = args[0];
      if (!h.owns(fd)) return void call(orig.writev, args);
      const cb = splitCallback(args);
      const bufs = args[1] as NodeJS.ArrayBufferView[];
      deliver(
        h.writev(fd, bufs.map(bytes), (args[2] as number | null | undefined) ?? null).then((n) => [n, bufs]),
        cb,
      );
    },

    writevSync(...args: unknown[]): number {
      const fd = args[0];
      if (!h.owns(fd)) return call(orig.writevSync, args) as number;
      const bufs = args[1] as NodeJS.ArrayBufferView[];
      return h.writevSync(fd, bufs.map(bytes), (args[2] as number | null | undefined) ?? null);
    },

    fstat(...args: unknown[]): void {
      const fd = args[0];
      if (!h.owns(fd)) return void call(orig.fstat, args);
      const cb = splitCallback(args);
      const bigint = (args[1] as { bigint?: boolean } | undefined)?.bigint === true;
      deliver(
        h.fstat(fd).then((st) => [toStats(st, bigint)]),
        cb,
      );
    },

    fstatSync(...args: unknown[]): Stats | BigIntStats {
      const fd = args[0];
      if (!h.owns(fd)) return call(orig.fstatSync, args) as Stats;
      const bigint = (args[1] as { bigint?: boolean } | undefined)?.bigint === true;
      return toStats(h.fstatSync(fd), bigint);
    },
  };

  async function promisesOpen(path: PathLike, flags?: string | number, mode?: number): Promise<unknown> {
    const shown = pathString(path);
    const route = shown === undefined ? undefined : h.route(shown);
    if (route?.to !== 'rump' || shown === undefined) {
      const fh = await orig.promisesOpen(path, flags, mode);
      if (fh.fd >= h.fdoff) {
        await fh.close();
        throw nodeError('ENFILE', 'open', shown);
      }
      return fh;
    }
    const fd = await h.open(route.path, rumpOpenFlags(flags), mode ?? 0o666, shown);
    return new RumpFileHandle(h, fd);
  }

  const target = fs as unknown as Record<string, unknown>;
  for (const [name, f] of Object.entries(patched)) {
    Object.defineProperty(f, 'name', { value: name });
    target[name] = f;
  }
  (fs.promises as unknown as Record<string, unknown>).open = promisesOpen;
  syncBuiltinESMExports();

  return () => {
    for (const [name, f] of Object.entries(orig)) {
      if (name === 'promisesOpen') (fs.promises as unknown as Record<string, unknown>).open = f;
      else target[name] = f;
    }
    syncBuiltinESMExports();
  };
}
