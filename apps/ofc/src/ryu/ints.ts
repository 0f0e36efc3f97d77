// Numbers as Ryu's ofctl takes and gives them. Ryu reads almost every number with
// `int(str(value), 0)`: a JSON integer, or a string in decimal, 0x hex, 0o octal or 0b binary.
// Reserved values (ports, tables, groups, meters, queues, max_len, roles) may also be given
// by name, with or without the OFPP_/OFPTT_/... prefix, and are printed by name.
// Everything is checked against the field's width here, so nothing is rounded or cut.

import { OFPCML, OFPCR_ROLE, OFPG, OFPM, OFPP, OFPQ_ALL, OFPTT, OFP_NO_BUFFER } from '@rumpflow/openflow';

/** A request body Ryu's ofctl would refuse too (HTTP 400). */
export class RyuValueError extends Error {
  override readonly name = 'RyuValueError';
}

/** What JSON gives a number field: a number, a bigint (beyond 2^53), or a string. */
export type IntLike = number | bigint | string;

const INT_TEXT = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$/;

/** Python's int(str(v), 0): integers, and strings in base 10, 16 (0x), 8 (0o) or 2 (0b). */
export function strToInt(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new RyuValueError(`${what}: ${v} is not an integer`);
    if (!Number.isSafeInteger(v))
      throw new RyuValueError(`${what}: ${v} is beyond 2^53 and may have been rounded; send it as a string`);
    return BigInt(v);
  }
  if (typeof v === 'string') {
    const m = INT_TEXT.exec(v.trim());
    // decimal numbers with a leading zero are refused by Python too ("010")
    if (m && !/^0[0-9]/.test(m[2]!) && !m[2]!.endsWith('_')) {
      const n = BigInt(m[2]!.replace(/_/g, ''));
      return m[1] === '-' ? -n : n;
    }
  }
  throw new RyuValueError(`${what}: ${JSON.stringify(v)} is not an integer`);
}

/** An unsigned integer of `bits` bits (at most 32) as a number. */
export function uint(v: unknown, bits: number, what: string): number {
  return Number(checkRange(strToInt(v, what), bits, what));
}

/** An unsigned 64-bit integer. */
export function uint64(v: unknown, what: string): bigint {
  return checkRange(strToInt(v, what), 64, what);
}

function checkRange(n: bigint, bits: number, what: string): bigint {
  if (n < 0n || n >= 1n << BigInt(bits))
    throw new RyuValueError(`${what}: ${n} does not fit in ${bits} bits`);
  return n;
}

/** Reserved values by name (without prefix), e.g. { CONTROLLER: 0xfffffffd, ... }. */
type Names = Readonly<Record<string, number>>;

function reservedFrom(v: unknown, names: Names, prefix: string, bits: number, what: string): number {
  if (typeof v === 'string' && !/^[+-]?[0-9]/.test(v.trim())) {
    const up = v.trim().toUpperCase();
    const name = up.startsWith(prefix) ? up.slice(prefix.length) : up;
    const n = Object.hasOwn(names, name) ? names[name] : undefined;
    if (n === undefined) {
      throw new RyuValueError(
        `${what}: "${v}" is neither a number nor one of ${Object.keys(names).join(', ')}`,
      );
    }
    return n;
  }
  return uint(v, bits, what);
}

function reservedTo(n: number, names: Names): number | string {
  for (const [k, v] of Object.entries(names)) if (v === n) return k;
  return n;
}

const QUEUE = { ALL: OFPQ_ALL } as const;

export const portFromUser = (v: unknown, what = 'port'): number => reservedFrom(v, OFPP, 'OFPP_', 32, what);
export const portToUser = (n: number): number | string => reservedTo(n, OFPP);
export const tableFromUser = (v: unknown, what = 'table_id'): number =>
  reservedFrom(v, OFPTT, 'OFPTT_', 8, what);
export const tableToUser = (n: number): number | string => reservedTo(n, OFPTT);
export const groupFromUser = (v: unknown, what = 'group_id'): number =>
  reservedFrom(v, OFPG, 'OFPG_', 32, what);
export const groupToUser = (n: number): number | string => reservedTo(n, OFPG);
export const meterFromUser = (v: unknown, what = 'meter_id'): number =>
  reservedFrom(v, OFPM, 'OFPM_', 32, what);
export const meterToUser = (n: number): number | string => reservedTo(n, OFPM);
export const queueFromUser = (v: unknown, what = 'queue_id'): number =>
  reservedFrom(v, QUEUE, 'OFPQ_', 32, what);
export const queueToUser = (n: number): number | string => reservedTo(n, QUEUE);
export const cmlFromUser = (v: unknown, what = 'max_len'): number =>
  reservedFrom(v, OFPCML, 'OFPCML_', 16, what);
export const roleFromUser = (v: unknown, what = 'role'): number =>
  reservedFrom(v, OFPCR_ROLE, 'OFPCR_ROLE_', 32, what);
export const roleToUser = (n: number): number | string => reservedTo(n, OFPCR_ROLE);

/** buffer_id: a number, or "OFP_NO_BUFFER" / "NO_BUFFER". */
export function bufferFromUser(v: unknown, what = 'buffer_id'): number {
  if (v === 'OFP_NO_BUFFER' || v === 'NO_BUFFER') return OFP_NO_BUFFER;
  return uint(v, 32, what);
}

/** A datapath id as Ryu's REST API takes it (URL or body): decimal, or 0x hex. */
export function dpidFromUser(v: unknown): bigint {
  return uint64(v, 'dpid');
}

/** A value that is optional in the body: the default when absent (undefined or null). */
export function opt<T>(v: unknown, dflt: T, conv: (v: unknown) => T): T {
  return v === undefined || v === null ? dflt : conv(v);
}
