// fs.Stats (or BigIntStats) for what the rump kernel's fstat says, so isCharacterDevice(),
// isFIFO() and friends work as on a host fd. NetBSD's S_IF* values are Linux's.

import { type BigIntStats, Stats, fstatSync } from 'node:fs';
import type { RumpStat } from '@rumpflow/rumpclient';

let bigintProto: object | undefined;

/** BigIntStats has no public constructor: take its prototype from a real one, once. */
function bigIntStatsPrototype(): object {
  bigintProto ??= Object.getPrototypeOf(fstatSync(0, { bigint: true })) as object;
  return bigintProto;
}

export function toStats(st: RumpStat, bigint: boolean): Stats | BigIntStats {
  const now = Date.now();
  const fields = {
    dev: 0,
    mode: st.mode,
    nlink: st.nlink,
    uid: st.uid,
    gid: st.gid,
    rdev: st.rdev,
    blksize: st.blksize,
    ino: 0,
    size: st.size,
    blocks: 0,
  };
  if (!bigint) {
    const s = Object.create(Stats.prototype) as Stats;
    const date = new Date(now);
    return Object.assign(s, fields, {
      atimeMs: now,
      mtimeMs: now,
      ctimeMs: now,
      birthtimeMs: now,
      atime: date,
      mtime: date,
      ctime: date,
      birthtime: date,
    });
  }
  const s = Object.create(bigIntStatsPrototype()) as BigIntStats;
  const ns = BigInt(now) * 1_000_000n;
  const big = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, BigInt(v)]));
  const date = new Date(now);
  return Object.assign(s, big, {
    atimeMs: BigInt(now),
    mtimeMs: BigInt(now),
    ctimeMs: BigInt(now),
    birthtimeMs: BigInt(now),
    atimeNs: ns,
    mtimeNs: ns,
    ctimeNs: ns,
    birthtimeNs: ns,
    atime: date,
    mtime: date,
    ctime: date,
    birthtime: date,
  });
}
