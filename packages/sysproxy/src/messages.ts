// The frames each exchange uses, built and read in one place for server and client.

import { ERRNO } from './errno.js';
import { CLASS, type Frame, HANDSHAKE, TYPE } from './frame.js';
import type { Value } from './values.js';

/** Bytes of the secret that lets a second connection join a process. */
export const JOIN_SECRET_LEN = 16;

/** Start a new process: the program name and, when the server requires it, the token. */
export function newProcessRequest(reqno: number, program: string, token?: string): Frame {
  return { reqno, cls: CLASS.REQUEST, type: TYPE.HANDSHAKE, aux: HANDSHAKE.NEW_PROCESS, body: [program, token ?? null] };
}

/** Join the process `pid` from another connection, with the secret its handshake returned. */
export function joinRequest(reqno: number, pid: number, secret: Uint8Array, token?: string): Frame {
  return { reqno, cls: CLASS.REQUEST, type: TYPE.HANDSHAKE, aux: HANDSHAKE.JOIN, body: [pid, secret, token ?? null] };
}

/** A successful handshake: the process id and its join secret. */
export function handshakeOk(reqno: number, pid: number, secret: Uint8Array): Frame {
  return { reqno, cls: CLASS.RESPONSE, type: TYPE.HANDSHAKE, aux: 0, body: [pid, secret] };
}

export function syscallRequest(reqno: number, sysno: number, args: Value[]): Frame {
  return { reqno, cls: CLASS.REQUEST, type: TYPE.SYSCALL, aux: sysno, body: args };
}

/** A syscall's success: aux 0 and its results. */
export function syscallOk(reqno: number, results: Value[]): Frame {
  return { reqno, cls: CLASS.RESPONSE, type: TYPE.SYSCALL, aux: 0, body: results };
}

/** A failed request of any type: aux is the errno, the body a short explanation. */
export function failure(reqno: number, type: Frame['type'], errno: number, detail?: string): Frame {
  return { reqno, cls: CLASS.RESPONSE, type, aux: errno, body: detail ? [detail] : [] };
}

/** Cancel the in-flight request `target`; it answers ECANCELED unless it already completed. */
export function cancelRequest(reqno: number, target: number): Frame {
  return { reqno, cls: CLASS.REQUEST, type: TYPE.CANCEL, aux: target >>> 0, body: [] };
}

export function pingRequest(reqno: number): Frame {
  return { reqno, cls: CLASS.REQUEST, type: TYPE.PING, aux: 0, body: [] };
}

export function pingResponse(reqno: number): Frame {
  return { reqno, cls: CLASS.RESPONSE, type: TYPE.PING, aux: 0, body: [] };
}

/** A protocol error: the frame could not be accepted at all (malformed, oversized, out of order). */
export function protocolError(reqno: number, type: Frame['type'], errno: number, message: string): Frame {
  return { reqno, cls: CLASS.ERROR, type, aux: errno, body: [message] };
}

/** The explanation a failure or error frame carries, if any. */
export function detailOf(f: Frame): string | undefined {
  const d = f.body[0];
  return typeof d === 'string' ? d : undefined;
}

export { ERRNO };
