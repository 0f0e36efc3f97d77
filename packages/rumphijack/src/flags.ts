// open(2) flags as a Node program gives them (a string such as 'r+' or 'wx', or a number
// built from the host's fs.constants) to NetBSD's O_* values, which the rump kernel speaks.

import { constants } from 'node:fs';
import { O } from '@rumpflow/rumpclient';

const STRING_FLAGS: Readonly<Record<string, number>> = {
  r: O.RDONLY,
  rs: O.RDONLY,
  sr: O.RDONLY,
  'r+': O.RDWR,
  'rs+': O.RDWR,
  'sr+': O.RDWR,
  w: O.WRONLY | O.CREAT | O.TRUNC,
  wx: O.WRONLY | O.CREAT | O.TRUNC | O.EXCL,
  xw: O.WRONLY | O.CREAT | O.TRUNC | O.EXCL,
  'w+': O.RDWR | O.CREAT | O.TRUNC,
  'wx+': O.RDWR | O.CREAT | O.TRUNC | O.EXCL,
  'xw+': O.RDWR | O.CREAT | O.TRUNC | O.EXCL,
  a: O.WRONLY | O.APPEND | O.CREAT,
  ax: O.WRONLY | O.APPEND | O.CREAT | O.EXCL,
  xa: O.WRONLY | O.APPEND | O.CREAT | O.EXCL,
  as: O.WRONLY | O.APPEND | O.CREAT,
  sa: O.WRONLY | O.APPEND | O.CREAT,
  'a+': O.RDWR | O.APPEND | O.CREAT,
  'ax+': O.RDWR | O.APPEND | O.CREAT | O.EXCL,
  'xa+': O.RDWR | O.APPEND | O.CREAT | O.EXCL,
  'as+': O.RDWR | O.APPEND | O.CREAT,
  'sa+': O.RDWR | O.APPEND | O.CREAT,
};

// host bit -> NetBSD bit; host bits without a counterpart the kernel knows are dropped
const BITS: readonly (readonly [number | undefined, number])[] = [
  [constants.O_CREAT, O.CREAT],
  [constants.O_EXCL, O.EXCL],
  [constants.O_TRUNC, O.TRUNC],
  [constants.O_APPEND, O.APPEND],
  [constants.O_NONBLOCK, O.NONBLOCK],
  [constants.O_NOCTTY, O.NOCTTY],
  [constants.O_DIRECTORY, O.DIRECTORY],
];

/** NetBSD O_* flags for Node's `flags` argument (default 'r'); TypeError as Node for a bad string. */
export function rumpOpenFlags(flags: string | number | undefined | null): number {
  if (flags === undefined || flags === null) return O.RDONLY;
  if (typeof flags === 'string') {
    const f = STRING_FLAGS[flags];
    if (f === undefined) {
      const e = new TypeError(`The argument 'flags' is invalid. Received '${flags}'`) as TypeError & {
        code: string;
      };
      e.code = 'ERR_INVALID_ARG_VALUE';
      throw e;
    }
    return f;
  }
  let out = flags & 3; // the access mode is 0, 1, 2 on both
  for (const [host, rump] of BITS) if (host !== undefined && (flags & host) !== 0) out |= rump;
  return out;
}
