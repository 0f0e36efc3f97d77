// A raw sysproxy connection for tests: bytes in, frames out, with no client library between
// the test and the server (malformed and oversized frames, requests before the handshake,
// syscall numbers the client refuses to send).

import net from 'node:net';
import { type Frame, FrameSplitter, decodeFrame, encodeFrame, newProcessRequest } from '@rumpflow/sysproxy';

export class RawConnection {
  /** The banner line, without its newline. */
  banner = '';
  private readonly frames: Frame[] = [];
  private readonly waiting: ((f: Frame | undefined) => void)[] = [];
  private readonly splitter = new FrameSplitter(64 * 1024 * 1024);
  private ended = false;
  private held: Buffer = Buffer.alloc(0);
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.ended = true;
      for (const w of this.waiting.splice(0)) w(undefined);
    });
  }

  /** Connect to a unix:// or tcp:// URL and read the banner. */
  static async open(url: string): Promise<RawConnection> {
    const u = new URL(url);
    const socket =
      u.protocol === 'unix:'
        ? net.createConnection({ path: decodeURIComponent(u.pathname) })
        : net.createConnection({ host: u.hostname, port: Number(u.port) });
    const c = new RawConnection(socket);
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        c.held = Buffer.concat([c.held, chunk]);
        const nl = c.held.indexOf(0x0a);
        if (nl < 0) return;
        socket.off('data', onData).off('error', reject);
        c.banner = c.held.subarray(0, nl).toString('latin1');
        const rest = c.held.subarray(nl + 1);
        socket.on('data', (d: Buffer) => c.push(d));
        if (rest.length > 0) c.push(rest);
        resolve();
      };
      socket.on('data', onData).once('error', reject);
    });
    return c;
  }

  /** Open and make a new process (NEW_PROCESS); resolves with the pid. */
  static async process(
    url: string,
    program = 'raw',
    token?: string,
  ): Promise<{ conn: RawConnection; pid: number }> {
    const conn = await RawConnection.open(url);
    conn.send(newProcessRequest(1, program, token));
    const f = await conn.next();
    if (!f || f.aux !== 0) throw new Error(`handshake refused: ${JSON.stringify(f)}`);
    return { conn, pid: f.body[0] as number };
  }

  send(f: Frame): void {
    this.write(encodeFrame(f));
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next frame from the server, or undefined once the connection has closed. */
  next(): Promise<Frame | undefined> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  private push(chunk: Buffer): void {
    for (const raw of this.splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
      const f = decodeFrame(raw);
      const w = this.waiting.shift();
      if (w) w(f);
      else this.frames.push(f);
    }
  }
}

/** A 16-byte frame header with any field values, and `body` after it (length as given). */
export function rawFrame(
  h: { length: number; reqno: number; cls: number; flags?: number; type: number; aux: number },
  body: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const b = new Uint8Array(16 + body.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, h.length >>> 0);
  dv.setUint32(4, h.reqno >>> 0);
  b[8] = h.cls;
  b[9] = h.flags ?? 0;
  dv.setUint16(10, h.type);
  dv.setUint32(12, h.aux >>> 0);
  b.set(body, 16);
  return b;
}
