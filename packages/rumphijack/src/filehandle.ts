// What fs.promises.open gives for a hijacked path: a FileHandle whose calls go to the kernel,
// with the methods programs use on a device (read, write, readv, writev, stat, close,
// createReadStream/createWriteStream, readFile) in FileHandle's shapes.

import { EventEmitter } from 'node:events';
import fs, { type ReadStream, type WriteStream } from 'node:fs';
import { isArrayBufferView } from 'node:util/types';
import { nodeError } from './errors.js';
import type { Hijack } from './hijack.js';
import { toStats } from './stats.js';

type Position = number | bigint | null | undefined;

interface HandleReadOptions<T extends NodeJS.ArrayBufferView> {
  buffer?: T;
  offset?: number;
  length?: number;
  position?: Position;
}

const view = (b: NodeJS.ArrayBufferView): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export class RumpFileHandle extends EventEmitter {
  private open = true;

  constructor(
    private readonly h: Hijack,
    private readonly descriptor: number,
  ) {
    super();
  }

  /** The program fd (rump fd + fdoff); -1 once closed, as FileHandle. */
  get fd(): number {
    return this.open ? this.descriptor : -1;
  }

  private live(syscall: string): number {
    if (!this.open || !this.h.owns(this.descriptor)) throw nodeError('EBADF', syscall);
    return this.descriptor;
  }

  async read<T extends NodeJS.ArrayBufferView = Buffer>(
    bufferOrOptions?: T | HandleReadOptions<T>,
    offset?: number,
    length?: number,
    position?: Position,
  ): Promise<{ bytesRead: number; buffer: T }> {
    const fd = this.live('read');
    let buffer: T;
    if (isArrayBufferView(bufferOrOptions)) buffer = bufferOrOptions as T;
    else {
      const o = (bufferOrOptions ?? {}) as HandleReadOptions<T>;
      buffer = o.buffer ?? (Buffer.alloc(16384) as unknown as T);
      offset = o.offset;
      length = o.length;
      position = o.position;
    }
    const off = offset ?? 0;
    const len = length ?? buffer.byteLength - off;
    const data = await this.h.read(fd, len, position ?? null);
    view(buffer).set(data, off);
    return { bytesRead: data.length, buffer };
  }

  async write<T extends NodeJS.ArrayBufferView | string>(
    data: T,
    offsetOrPosition?: number | null | { offset?: number; length?: number; position?: number | null },
    lengthOrEncoding?: number | BufferEncoding,
    position?: number | null,
  ): Promise<{ bytesWritten: number; buffer: T }> {
    const fd = this.live('write');
    let bytes: Uint8Array;
    let pos: number | null = null;
    if (typeof data === 'string') {
      bytes = Buffer.from(
        data,
        (typeof lengthOrEncoding === 'string' ? lengthOrEncoding : 'utf8') as BufferEncoding,
      );
      pos = typeof offsetOrPosition === 'number' ? offsetOrPosition : null;
    } else {
      const all = view(data);
      const o =
        offsetOrPosition !== null && typeof offsetOrPosition === 'object' ? offsetOrPosition : undefined;
      const off = o ? (o.offset ?? 0) : ((offsetOrPosition as number | null | undefined) ?? 0);
      const len = o
        ? (o.length ?? all.length - off)
        : ((lengthOrEncoding as number | undefined) ?? all.length - off);
      pos = o ? (o.position ?? null) : (position ?? null);
      bytes = all.subarray(off, off + len);
    }
    return { bytesWritten: await this.h.write(fd, bytes, pos), buffer: data };
  }

  async readv<T extends NodeJS.ArrayBufferView[]>(
    buffers: T,
    position?: number | null,
  ): Promise<{ bytesRead: number; buffers: T }> {
    const fd = this.live('read');
    const parts = await this.h.readv(
      fd,
      buffers.map((b) => b.byteLength),
      position ?? null,
    );
    let n = 0;
    parts.forEach((p, i) => {
      const b = buffers[i];
      if (b) view(b).set(p);
      n += p.length;
    });
    return { bytesRead: n, buffers };
  }

  async writev<T extends NodeJS.ArrayBufferView[]>(
    buffers: T,
    position?: number | null,
  ): Promise<{ bytesWritten: number; buffers: T }> {
    const fd = this.live('write');
    return { bytesWritten: await this.h.writev(fd, buffers.map(view), position ?? null), buffers };
  }

  async stat(opts?: { bigint?: boolean }): Promise<fs.Stats | fs.BigIntStats> {
    return toStats(await this.h.fstat(this.live('fstat')), opts?.bigint === true);
  }

  /** Read until end of file (a device that never ends, /dev/zero, never resolves: as the host's). */
  async readFile(opts?: BufferEncoding | { encoding?: BufferEncoding | null }): Promise<Buffer | string> {
    const fd = this.live('read');
    const chunks: Uint8Array[] = [];
    for (;;) {
      const c = await this.h.read(fd, 65536, null);
      if (c.length === 0) break;
      chunks.push(c);
    }
    const all = Buffer.concat(chunks);
    const enc = typeof opts === 'string' ? opts : opts?.encoding;
    return enc ? all.toString(enc) : all;
  }

  createReadStream(
    opts: { start?: number; end?: number; highWaterMark?: number; autoClose?: boolean } = {},
  ): ReadStream {
    // through the patched fs with the fd number: the stream's reads wait for readiness
    return fs
      .createReadStream('', { ...opts, fd: this.live('read'), autoClose: opts.autoClose ?? true })
      .on('close', () => this.closed());
  }

  createWriteStream(opts: { autoClose?: boolean } = {}): WriteStream {
    return fs
      .createWriteStream('', { ...opts, fd: this.live('write'), autoClose: opts.autoClose ?? true })
      .on('close', () => this.closed());
  }

  async sync(): Promise<void> {
    this.live('fsync');
  }

  async datasync(): Promise<void> {
    this.live('fdatasync');
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    if (this.h.owns(this.descriptor)) await this.h.close(this.descriptor);
    this.emit('close');
  }

  /** A stream closed the fd itself. */
  private closed(): void {
    if (!this.open) return;
    this.open = false;
    this.emit('close');
  }
}
