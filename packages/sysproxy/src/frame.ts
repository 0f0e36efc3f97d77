// Frames of the sysproxy protocol. After the server's one-line text banner, both directions
// carry frames: a 16-byte big-endian header and a body of values (values.ts).
//
//   offset size field
//   0      4    length   whole frame in bytes, header included (16 .. max frame size)
//   4      4    reqno    request number chosen by the requester; the response repeats it
//   8      1    class    0 request, 1 response, 2 error
//   9      1    flags    0 (reserved)
//   10     2    type     1 handshake, 2 syscall, 3 cancel, 4 ping
//   12     4    aux      request: handshake kind or syscall number; response: errno (0 = success);
//                        error: errno
//   16     ..   body     values

import { FrameLengthError, LengthPrefixedSplitter } from '@rumpflow/stream-framing';
import { type Value, ValueError, readValues, valueSize, writeValues } from './values.js';

export const HEADER_LEN = 16;
/** Default largest frame (1 MiB of data plus room for the header and value tags). */
export const DEFAULT_MAX_FRAME = 1024 * 1024 + 4096;

export const CLASS = { REQUEST: 0, RESPONSE: 1, ERROR: 2 } as const;
export type FrameClass = (typeof CLASS)[keyof typeof CLASS];

export const TYPE = { HANDSHAKE: 1, SYSCALL: 2, CANCEL: 3, PING: 4 } as const;
export type FrameType = (typeof TYPE)[keyof typeof TYPE];

/** Handshake kinds (aux of a HANDSHAKE request). */
export const HANDSHAKE = { NEW_PROCESS: 1, JOIN: 2 } as const;

export interface Frame {
  readonly reqno: number;
  readonly cls: FrameClass;
  readonly type: FrameType;
  readonly aux: number;
  readonly body: Value[];
}

/** Encode one frame. */
export function encodeFrame(f: Frame): Uint8Array {
  let n = HEADER_LEN;
  for (const v of f.body) n += valueSize(v);
  const b = new Uint8Array(n);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, n);
  dv.setUint32(4, f.reqno >>> 0);
  b[8] = f.cls;
  b[9] = 0;
  dv.setUint16(10, f.type);
  dv.setUint32(12, f.aux >>> 0);
  writeValues(b, dv, HEADER_LEN, f.body);
  return b;
}

/** A frame that cannot be trusted; `fatal` when the stream itself is lost. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    message: string,
    /** The request number, when the header was readable (to address an error frame). */
    readonly reqno: number | undefined,
    /** Framing is lost: close the connection after sending the error. */
    readonly fatal: boolean,
    /** Whole frames that came before the bad one in the same chunk: handle them first. */
    readonly frames: Uint8Array[] = [],
  ) {
    super(message);
  }
}

/** Decode one whole frame (the output of FrameSplitter). */
export function decodeFrame(b: Uint8Array): Frame {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const reqno = dv.getUint32(4);
  const cls = b[8]!;
  const type = dv.getUint16(10);
  if (cls > 2) throw new FrameError(`unknown frame class ${cls}`, reqno, false);
  if (type < 1 || type > 4) throw new FrameError(`unknown frame type ${type}`, reqno, false);
  if (b[9] !== 0) throw new FrameError(`reserved flags ${b[9]} set`, reqno, false);
  let body: Value[];
  try {
    body = readValues(b, HEADER_LEN, b.length);
  } catch (e) {
    if (e instanceof ValueError) throw new FrameError(`bad body: ${e.message}`, reqno, false);
    throw e;
  }
  return { reqno, cls: cls as FrameClass, type: type as FrameType, aux: dv.getUint32(12), body };
}

/**
 * Splits a byte stream into whole frames, holding at most one partial frame. A length below
 * the header or above `maxFrame` is fatal: framing is lost. (The splitting is
 * @rumpflow/stream-framing's, shared with the OpenFlow framer.)
 */
export class FrameSplitter {
  private readonly splitter: LengthPrefixedSplitter;

  constructor(readonly maxFrame = DEFAULT_MAX_FRAME) {
    // 8 header bytes before the length is checked: the error names the request (reqno)
    this.splitter = new LengthPrefixedSplitter({
      lengthOffset: 0,
      lengthBytes: 4,
      headerBytes: 8,
      minLength: HEADER_LEN,
      maxLength: maxFrame,
    });
  }

  get pending(): number {
    return this.splitter.pending;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    try {
      return this.splitter.push(chunk);
    } catch (e) {
      if (!(e instanceof FrameLengthError)) throw e;
      const h = e.head;
      const reqno = ((h[4]! << 24) | (h[5]! << 16) | (h[6]! << 8) | h[7]!) >>> 0;
      throw new FrameError(`frame length ${e.length} outside ${HEADER_LEN}..${this.maxFrame}`, reqno, true, e.frames);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The banner: one line of text the server sends first.
//   RUMPFLOW-SP/1 <implementation> <version> auth=<none|token> maxframe=<bytes>\n

export const PROTOCOL = 'RUMPFLOW-SP';
export const PROTOCOL_VERSION = 1;
export const MAX_BANNER = 256;

export interface Banner {
  readonly version: number;
  readonly implementation: string;
  readonly implementationVersion: string;
  readonly auth: 'none' | 'token';
  readonly maxFrame: number;
}

export function formatBanner(b: Banner): string {
  return `${PROTOCOL}/${b.version} ${b.implementation} ${b.implementationVersion} auth=${b.auth} maxframe=${b.maxFrame}\n`;
}

export function parseBanner(line: string): Banner {
  const m = /^RUMPFLOW-SP\/(\d+) (\S+) (\S+) auth=(none|token) maxframe=(\d+)\n?$/.exec(line);
  if (!m) throw new FrameError(`not a rumpflow sysproxy banner: ${JSON.stringify(line.slice(0, 80))}`, undefined, true);
  return {
    version: Number(m[1]),
    implementation: m[2] as string,
    implementationVersion: m[3] as string,
    auth: m[4] as 'none' | 'token',
    maxFrame: Number(m[5]),
  };
}
