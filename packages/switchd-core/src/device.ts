// Device backends: each opens one OpenFlow channel of a switch(4) device and hands it over as
// a Duplex byte stream, so the relay and the built-in controller never know which it is.
//
//   unix:  a connection to swioproxyd's socket (one connection = one device channel)
//   rump:  switchd itself is a rump client: open(2) the device in the kernel, then either
//          keep one blocking read(2) in flight (`read`, the default: the kernel parks it until
//          the device has bytes, one round trip per wake-up) or open it O_NONBLOCK and wait in
//          kevent(2) EVFILT_READ before each read (`kevent`: two round trips when the device
//          was idle); bench/relay.bench.ts measures both. Writes are write(2) calls: with a
//          blocking fd several in flight (the device serves them in the order they were
//          made); with O_NONBLOCK one at a time, waiting in EVFILT_WRITE after EAGAIN.
//   file:  a plain path through node:fs (under the rumphijack loader routed into the kernel;
//          outside it, a character device or FIFO of the host)

import { once } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { ERRNO, EV, EVFILT, O, RumpClient, SyscallError } from '@rumpflow/rumpclient';
import { parseDeviceSpec, type DeviceSpec } from './device-spec.js';

/** Largest read per call: one maximal OpenFlow message. */
const READ_SIZE = 65536;

/** How a rump: channel learns that the device has bytes. */
export type RumpReadiness = 'read' | 'kevent';

export interface DeviceOpenOptions {
  /** RUMP_SERVER for rump: devices (default: the environment's). */
  readonly rumpServer?: string;
  /** Give up connecting after this long (default 5 s). */
  readonly timeoutMs?: number;
  /** rump: devices: blocking read in flight (default) or kevent EVFILT_READ then read. */
  readonly rumpReadiness?: RumpReadiness;
}

/** Opens channels of one device. */
export interface DeviceBackend {
  readonly spec: DeviceSpec;
  /** A new channel of the device: the switch's HELLO is the first thing it reads. */
  open(): Promise<Duplex>;
}

export function deviceBackend(specText: string, opts: DeviceOpenOptions = {}): DeviceBackend {
  const spec = parseDeviceSpec(specText);
  switch (spec.kind) {
    case 'unix':
      return { spec, open: () => openUnix(spec.path, opts.timeoutMs ?? 5000) };
    case 'rump':
      return { spec, open: () => openRump(spec.path, opts) };
    case 'file':
      return { spec, open: () => openFile(spec.path) };
  }
}

async function openUnix(path: string, timeoutMs: number): Promise<Duplex> {
  const s = net.createConnection({ path });
  const timer = setTimeout(() => s.destroy(new Error(`${path}: connect timed out`)), timeoutMs);
  try {
    await once(s, 'connect');
  } finally {
    clearTimeout(timer);
  }
  return s;
}

/** Bytes per write(2) of a rump: channel: what /dev/switchN takes whole (its WRITE_CHUNK). */
const WRITE_CHUNK = 65536;
/** write(2)s a rump: channel keeps in flight; the device serves them in order. */
const RUMP_WRITES_IN_FLIGHT = 8;

/**
 * A Duplex over a read and a write function: one read in flight at a time, issued only while
 * the reader wants data (backpressure); writes in order, up to `writesInFlight` of them at
 * once (each a whole chunk, so the callee must write all of it or fail); `close` runs once at
 * the end. Chunks that queue up meanwhile go out together, WRITE_CHUNK bytes a call.
 */
class CallStream extends Duplex {
  private reading = false;
  private finished = false;
  private inFlight = 0;
  /** Pieces of the current chunk not yet issued (at most one chunk's worth). */
  private readonly pieces: Buffer[] = [];
  /** The callback of the write that waits for a free slot. */
  private waitingSlot: (() => void) | undefined;
  /** `_final`'s callback, waiting for the writes in flight. */
  private flushed: (() => void) | undefined;

  constructor(
    private readonly readFn: () => Promise<Uint8Array>,
    private readonly writeFn: (b: Uint8Array) => Promise<void>,
    private readonly closeFn: () => Promise<void>,
    private readonly writesInFlight = 1,
  ) {
    super({ allowHalfOpen: false });
  }

  override _read(): void {
    if (this.reading || this.finished) return;
    this.reading = true;
    this.readFn().then(
      (b) => {
        this.reading = false;
        if (this.destroyed) return;
        if (b.length === 0) {
          this.finished = true;
          this.push(null);
          return;
        }
        if (this.push(b)) this._read();
      },
      (e: Error) => {
        this.reading = false;
        if (!this.destroyed) this.destroy(e);
      },
    );
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.send(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.send(Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  private send(bytes: Buffer, cb: (e?: Error | null) => void): void {
    for (let off = 0; off < bytes.length; off += WRITE_CHUNK)
      this.pieces.push(bytes.subarray(off, off + WRITE_CHUNK));
    this.pump();
    if (this.pieces.length === 0 && this.inFlight < this.writesInFlight) cb();
    else this.waitingSlot = () => cb();
  }

  /** Issues pieces while a slot is free; the stream's next chunk is asked for once all went. */
  private pump(): void {
    while (this.pieces.length > 0 && this.inFlight < this.writesInFlight) {
      const piece = this.pieces.shift() as Buffer;
      this.inFlight++;
      this.writeFn(piece).then(
        () => {
          this.inFlight--;
          this.pump();
          if (this.pieces.length === 0 && this.inFlight < this.writesInFlight) {
            const next = this.waitingSlot;
            this.waitingSlot = undefined;
            next?.();
          }
          if (this.inFlight === 0 && this.pieces.length === 0) this.flushed?.();
        },
        (e: Error) => {
          if (!this.destroyed) this.destroy(e);
        },
      );
    }
  }

  override _final(cb: (e?: Error | null) => void): void {
    const done = () => {
      cb();
      this.destroy();
    };
    if (this.inFlight === 0) done();
    else this.flushed = done;
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.closeFn().then(
      () => cb(err),
      () => cb(err),
    );
  }
}

async function openRump(path: string, opts: DeviceOpenOptions): Promise<Duplex> {
  const client = await RumpClient.connect(opts.rumpServer, {
    program: 'switchd',
    connectTimeoutMs: opts.timeoutMs ?? 5000,
  });
  const useKevent = opts.rumpReadiness === 'kevent';
  let fd: number;
  let kq = -1;
  try {
    fd = await client.open(path, O.RDWR | (useKevent ? O.NONBLOCK : 0));
    if (useKevent) {
      kq = await client.kqueue();
      await client.kevent(
        kq,
        [{ ident: fd, filter: EVFILT.READ, flags: EV.ADD, fflags: 0, data: 0, udata: 0 }],
        0,
        0,
      );
    }
  } catch (e) {
    await client.close();
    throw e;
  }
  const readKevent = async (): Promise<Uint8Array> => {
    for (;;) {
      try {
        return await client.read(fd, READ_SIZE);
      } catch (e) {
        if (!(e instanceof SyscallError) || e.errno !== ERRNO.EAGAIN) throw e;
      }
      await client.kevent(kq, [], 1, null); // parked in the kernel until the device is readable
    }
  };
  // O_NONBLOCK (kevent): one write at a time, an EAGAIN (the device's output queue is full
  // because the controller is not reading) waits in kevent EVFILT_WRITE on a second kqueue,
  // then the rest is written
  const writeKevent = async (b: Uint8Array): Promise<void> => {
    let off = 0;
    while (off < b.length) {
      try {
        off += await client.write(fd, b.subarray(off));
      } catch (e) {
        if (!(e instanceof SyscallError) || e.errno !== ERRNO.EAGAIN) throw e;
        if (kqWrite < 0) kqWrite = await client.kqueue();
        const ev = {
          ident: fd,
          filter: EVFILT.WRITE,
          flags: EV.ADD | EV.ONESHOT,
          fflags: 0,
          data: 0,
          udata: 0,
        };
        await client.kevent(kqWrite, [ev], 1, null);
      }
    }
  };
  // blocking: several writes in flight, each taken whole (the device keeps their order)
  const writePipelined = async (b: Uint8Array): Promise<void> => {
    const n = await client.write(fd, b);
    if (n !== b.length) throw new Error(`${path}: short write (${n} of ${b.length} bytes)`);
  };
  let kqWrite = -1;
  const stream = new CallStream(
    useKevent ? readKevent : () => client.read(fd, READ_SIZE),
    useKevent ? writeKevent : writePipelined,
    () => client.close(), // ends the process in the kernel: its fds close with it
    useKevent ? 1 : RUMP_WRITES_IN_FLIGHT,
  );
  client.on('close', (e) => stream.destroy(e ?? new Error('rump kernel connection closed')));
  client.on('disconnect', (info) => stream.destroy(info.error));
  return stream;
}

async function openFile(path: string): Promise<Duplex> {
  const fh: FileHandle = await open(path, 'r+');
  const buf = Buffer.allocUnsafe(READ_SIZE);
  return new CallStream(
    async () => {
      const { bytesRead } = await fh.read(buf, 0, READ_SIZE, null);
      return Buffer.from(buf.subarray(0, bytesRead));
    },
    async (b) => {
      let off = 0;
      while (off < b.length) off += (await fh.write(b, off, b.length - off, null)).bytesWritten;
    },
    () => fh.close(),
  );
}
