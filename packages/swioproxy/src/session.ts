// One accepted client connection and its own device fd in the rump kernel: bytes copied
// both ways, with bounded memory.
//
//   client -> device: socket data is queued (ByteQueue) and written by write(2)s of at most
//     WRITE_MAX bytes, several in flight with a blocking fd (the device keeps their order),
//     one at a time with O_NONBLOCK. When the queue holds `queueBytes` the socket is paused,
//     so a slow device stops the client; it resumes below half of that.
//   device -> client: what the strategy reads is written to the socket. When the socket's
//     buffer passes `queueBytes` (write() returns false) the device is no longer read until
//     'drain', so a slow client leaves its bytes in the device's own bounded queue.
//
// Closing (either side, or the kernel gone) aborts the calls in flight and closes the fd in
// the kernel, so the device channel goes away with the client.

import type net from 'node:net';
import { SyscallError } from '@rumpflow/rumpclient';
import { ByteQueue } from './byte-queue.js';
import type { DeviceIo, DeviceUser } from './device-io.js';
import { MessageCounter } from './message-counter.js';

/** Bytes offered to one write(2) of the device at most (its own chunk limit). */
export const WRITE_MAX = 65536;

export interface SessionOptions {
  readonly id: number;
  /** The socket path it was accepted on, and the device it is served. */
  readonly listen: string;
  readonly device: string;
  /** Bound of each direction's queue in bytes. */
  readonly queueBytes: number;
}

export type SessionState = 'opening' | 'open' | 'closed';

export interface SessionInfo {
  id: number;
  listen: string;
  device: string;
  state: SessionState;
  fd: number;
  since: string;
  bytesToDevice: number;
  bytesToClient: number;
  messagesToDevice: number;
  messagesToClient: number;
  /** Bytes from the client waiting for the device. */
  queuedToDevice: number;
  /** Bytes for the client in its socket's buffer. */
  queuedToClient: number;
  clientPaused: boolean;
  devicePaused: boolean;
}

export interface SessionEvents {
  /** Bytes moved, for the proxy's totals. */
  toDevice(bytes: number, messages: number): void;
  toClient(bytes: number, messages: number): void;
  /** A direction was paused by flow control. */
  paused(direction: 'toDevice' | 'toClient'): void;
  closed(session: Session, reason: string): void;
}

export class Session implements DeviceUser {
  fd = -1;
  state: SessionState = 'opening';
  readonly since = new Date();
  bytesToDevice = 0;
  bytesToClient = 0;
  readonly toDeviceMessages = new MessageCounter();
  readonly toClientMessages = new MessageCounter();
  readPaused = false;
  private clientPaused = false;
  private readonly pending = new ByteQueue();
  /** write(2)s in flight. */
  private inFlight = 0;
  private ending = false;
  private readonly abort = new AbortController();
  readonly signal: AbortSignal = this.abort.signal;

  constructor(
    readonly socket: net.Socket,
    private readonly io: DeviceIo,
    readonly opts: SessionOptions,
    private readonly events: SessionEvents,
  ) {
    socket.on('data', (chunk: Buffer) => this.fromClient(chunk));
    socket.on('end', () => {
      // the client is done sending: pass on what it sent, then close
      this.ending = true;
      this.afterWrites();
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => this.close('client gone'));
  }

  get id(): number {
    return this.opts.id;
  }

  /** Open the device (one channel per client) and start copying. */
  async start(): Promise<void> {
    let fd: number;
    try {
      fd = await this.io.client.open(this.opts.device, this.io.openFlags, 0, { signal: this.signal });
    } catch (e) {
      this.close(`open ${this.opts.device}: ${(e as Error).message}`);
      throw e;
    }
    if (this.state === 'closed') {
      // the client left while the device was opening
      this.io.client.close(fd).catch(() => undefined);
      return;
    }
    this.fd = fd;
    this.state = 'open';
    this.io.attach(this);
    this.pump();
  }

  info(): SessionInfo {
    return {
      id: this.id,
      listen: this.opts.listen,
      device: this.opts.device,
      state: this.state,
      fd: this.fd,
      since: this.since.toISOString(),
      bytesToDevice: this.bytesToDevice,
      bytesToClient: this.bytesToClient,
      messagesToDevice: this.toDeviceMessages.count,
      messagesToClient: this.toClientMessages.count,
      queuedToDevice: this.pending.held,
      queuedToClient: this.socket.writableLength,
      clientPaused: this.clientPaused,
      devicePaused: this.readPaused,
    };
  }

  get queuedToDevice(): number {
    return this.pending.held;
  }

  get queuedToClient(): number {
    return this.socket.writableLength;
  }

  // --- client -> device

  private fromClient(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.pending.push(chunk);
    if (!this.clientPaused && this.pending.held >= this.opts.queueBytes) {
      this.clientPaused = true;
      this.socket.pause();
      this.events.paused('toDevice');
    }
    this.pump();
  }

  /**
   * Writes what the client sent to the device, in order. With a blocking fd several write(2)s
   * are kept in flight (the device serves them in the order they were made, each taken
   * whole), so the kernel round trips of back-to-back messages overlap; with O_NONBLOCK one
   * at a time, since a write that fails with EAGAIN must be tried again before the next.
   */
  private pump(): void {
    if (this.state !== 'open') return;
    if (this.io.writesInFlight === 1) {
      void this.pumpOne();
      return;
    }
    while (this.pending.held > 0 && this.inFlight < this.io.writesInFlight) {
      // a copy: the queue's chunks are views of socket buffers it may join later
      const bytes = this.pending.front(WRITE_MAX).slice();
      this.pending.consume(bytes.length);
      this.inFlight++;
      this.io.client.write(this.fd, bytes, { signal: this.signal }).then(
        (n) => {
          this.inFlight--;
          if (this.state !== 'open') return;
          if (n !== bytes.length) {
            this.deviceError(new Error(`short write (${n} of ${bytes.length} bytes)`));
            return;
          }
          this.wrote(bytes);
          this.pump();
        },
        (e: Error) => {
          this.inFlight--;
          if (this.state === 'open') this.deviceError(e);
        },
      );
    }
    this.afterWrites();
  }

  /** One write(2) at a time, EAGAIN waiting for writability. */
  private async pumpOne(): Promise<void> {
    if (this.inFlight > 0) return;
    this.inFlight = 1;
    try {
      while (this.state === 'open' && this.pending.held > 0) {
        const bytes = this.pending.front(WRITE_MAX);
        let n: number;
        try {
          n = await this.io.client.write(this.fd, bytes, { signal: this.signal });
        } catch (e) {
          if (this.state !== 'open') return;
          if (e instanceof SyscallError && e.code === 'EAGAIN') {
            await this.io.writable(this);
            continue;
          }
          this.deviceError(e as Error);
          return;
        }
        this.pending.consume(n);
        this.wrote(bytes.subarray(0, n));
      }
    } finally {
      this.inFlight = 0;
    }
    this.afterWrites();
  }

  /** Bytes the device took: counted, and the client resumed below half the bound. */
  private wrote(bytes: Uint8Array): void {
    this.bytesToDevice += bytes.length;
    this.events.toDevice(bytes.length, this.toDeviceMessages.push(bytes));
    if (this.clientPaused && this.pending.held <= this.opts.queueBytes / 2) {
      this.clientPaused = false;
      this.socket.resume();
    }
  }

  /** The client ended its side and everything it sent is in the device: close. */
  private afterWrites(): void {
    if (this.ending && this.inFlight === 0 && this.pending.held === 0) this.close('client closed');
  }

  // --- device -> client (called by the strategy)

  fromDevice(bytes: Uint8Array): void {
    if (this.state !== 'open') return;
    this.bytesToClient += bytes.length;
    this.events.toClient(bytes.length, this.toClientMessages.push(bytes));
    if (!this.socket.write(bytes) && !this.readPaused) {
      this.readPaused = true;
      this.io.pauseReading(this);
      this.events.paused('toClient');
      this.socket.once('drain', () => {
        this.readPaused = false;
        if (this.state === 'open') this.io.resumeReading(this);
      });
    }
  }

  deviceEnd(): void {
    // the channel was reset: the client sees end of stream after what was read
    this.close('device end of file', true);
  }

  deviceError(error: Error): void {
    this.close(`device: ${error.message}`);
  }

  /**
   * Close both sides. `graceful`: end the socket after what it holds (device end of file);
   * otherwise destroy it. `kernelGone`: the fd died with the kernel's process.
   */
  close(reason: string, graceful = false, kernelGone = false): void {
    if (this.state === 'closed') return;
    const fd = this.fd;
    this.state = 'closed';
    this.abort.abort();
    this.pending.clear();
    if (fd >= 0) {
      this.io.detach(this);
      if (!kernelGone) this.io.client.close(fd).catch(() => undefined);
    }
    if (graceful) this.socket.end();
    else this.socket.destroy();
    this.events.closed(this, reason);
  }
}
