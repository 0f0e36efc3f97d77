// Interface and capture ioctls of the rump kernel: their numbers and the byte layout of their
// argument structures, shared by the kernel (packages/rump-net) and its clients (rumpctl
// ifconfig/tcpdump). No I/O. The numbers follow BSD's <sys/ioccom.h> encoding
// (IOC_IN 0x80000000 | IOC_OUT 0x40000000 | len << 16 | group << 8 | num) with the group and
// number NetBSD/OpenBSD use where one exists; `len` is the fixed part of OUR layout, so the
// numbers are rumpflow's own (the structures are not C structs). One table declares each
// layout once; encode, decode and the TypeScript types all come from it.
//
// Layout field types (all integers big-endian, no padding):
//   name  16 bytes, NUL-padded (IFNAMSIZ; at most 15 characters)
//   u8 u16 u32 / u64 (bigint)    ip4  4 bytes, dotted text    mac  6 bytes, "aa:bb:cc:dd:ee:ff"
//   list  u32 count, then count entries of a nested layout (only last in a layout)
//
// Socket ioctls (socket(AF_INET, SOCK_DGRAM, 0), as ifconfig(8) does; the switch ones also on
// an open /dev/switchN):
//   SIOCIFCREATE    in  {name}                                  create vxlanN/vetherN/switchN
//   SIOCIFDESTROY   in  {name}
//   SIOCIFGCLONERS  out {cloners: [{name}]}                     "vxlan", "vether", "switch"
//   SIOCGIFCONF     out {interfaces: [{name}]}                  every interface (ifconfig -a)
//   SIOCGIFFLAGS    in  {name}  out {name, flags}               IFF_* (UP, RUNNING, PROMISC...)
//   SIOCSIFFLAGS    in  {name, flags}                           UP/PROMISC settable; RUNNING is the driver's
//   SIOCGIFMTU      in  {name}  out {name, mtu}
//   SIOCSIFMTU      in  {name, mtu}
//   SIOCAIFADDR     in  {name, addr, prefixlen}                 `inet 10.0.0.254/24` (one IPv4 address)
//   SIOCDIFADDR     in  {name, addr}
//   SIOCGIFADDR     in  {name}  out {name, addr, prefixlen}     EADDRNOTAVAIL when none
//   SIOCGIFDATA     in  {name}  out {name, driver, flags, mtu, linkState, mac, ipackets, opackets,
//                                    ibytes, obytes, ierrors, oerrors, iqdrops, collisions,
//                                    badvni, badhdr}            BSD's if_data (+ VXLAN's drops)
//   SIOCSLIFPHYADDR in  {name, src, srcport, dst, dstport}      vxlan `tunnel SRC:PORT DST:PORT`
//   SIOCGLIFPHYADDR in  {name}  out {name, src, srcport, dst, dstport}  EADDRNOTAVAIL when unset
//   SIOCDIFPHYADDR  in  {name}                                  `-tunnel`
//   SIOCSVNETID     in  {name, vnetid}                          vxlan `vnetid N` (0..0xffffff)
//   SIOCGVNETID     in  {name}  out {name, vnetid}              EADDRNOTAVAIL when unset
//   SIOCBRDGADD     in  {name, member, portno} out {name, member, portno}
//                                                               switch `add IF [portno N]` (0: assign)
//   SIOCBRDGADDL    in  {name, member, portno} out (same)       switch `addlocal IF` (portno ignored: LOCAL)
//   SIOCBRDGDEL     in  {name, member}                          switch `del IF`
//   SIOCSWSPORTNO   in  {name, member, portno}                  switch `portno IF N` (renumber a member)
//   SIOCBRDGIFS     in  {name}  out {name, ports: [{member, portno, flags}]}  IFBIF_LOCAL marks LOCAL
//   SIOCSWSDPID     in  {name, datapath}                        switch `datapath ID` (resets channels)
//   SIOCSWGDPID     in  {name}  out {name, datapath}
//
// Capture ioctls on an open /dev/bpf. Reads return the bytes of a classic pcap file (little-
// endian, microsecond timestamps): the 24-byte file header (written again after each
// BIOCSETIF/BIOCSDLT), then one record per packet; a read may end inside a record, so a
// reader just appends what it reads to a file. DLT_OPENFLOW records carry OpenBSD's
// pseudo-header: direction (u32 BE, 1 to the switch, 2 to the controller), datapath id (u64
// BE), then one whole OpenFlow message.
//   BIOCSETIF   in  {name}        attach to an interface (default DLT_EN10MB)
//   BIOCSDLT    in  {dlt}         DLT_EN10MB or, on a switch, DLT_OPENFLOW (its channel traffic)
//   BIOCGDLT    out {dlt}
//   BIOCGBLEN   out {len}         the buffer bound in bytes
//   BIOCGSTATS  out {recv, drop}  packets seen and dropped for want of buffer space
//   BIOCFLUSH   (no argument)     discard what is buffered

import { ERRNO } from './errno.js';

export const IFNAMSIZ = 16;

/** Interface flags (NetBSD's IFF_*). */
export const IFF = {
  UP: 0x1,
  BROADCAST: 0x2,
  LOOPBACK: 0x8,
  RUNNING: 0x40,
  PROMISC: 0x100,
  SIMPLEX: 0x800,
  MULTICAST: 0x8000,
} as const;

/** Link states (NetBSD's LINK_STATE_*). */
export const LINK_STATE = { UNKNOWN: 0, DOWN: 1, UP: 2 } as const;

/** Switch member flags (OpenBSD's IFBIF_LOCAL marks the LOCAL port). */
export const IFBIF = { LOCAL: 0x1000 } as const;

/** Data link types of captures (libpcap's LINKTYPE_ values). */
export const DLT = { EN10MB: 1, OPENFLOW: 267 } as const;

// The field types of a layout.
type Scalar = 'name' | 'u8' | 'u16' | 'u32' | 'u64' | 'ip4' | 'mac';
export type FieldType = Scalar | { readonly list: Layout };
export type Layout = readonly (readonly [string, FieldType])[];

type ValueOf<T> = T extends 'name' | 'ip4' | 'mac'
  ? string
  : T extends 'u64'
    ? bigint
    : T extends 'u8' | 'u16' | 'u32'
      ? number
      : T extends { readonly list: infer L extends Layout }
        ? StructOf<L>[]
        : never;

/** The TypeScript type of a layout's decoded value. */
export type StructOf<L extends Layout> = { -readonly [E in L[number] as E[0]]: ValueOf<E[1]> };

const SIZE: Record<Scalar, number> = { name: IFNAMSIZ, u8: 1, u16: 2, u32: 4, u64: 8, ip4: 4, mac: 6 };

/** Bytes of a layout's fixed part (a list counts its u32 count). */
export function fixedSize(layout: Layout): number {
  let n = 0;
  for (const [, t] of layout) n += typeof t === 'string' ? SIZE[t] : 4;
  return n;
}

// BSD's ioctl number encoding.
const IOC_OUT = 0x40000000;
const IOC_IN = 0x80000000;
const IOCPARM_MASK = 0x1fff;
function ioc(inout: number, group: string, num: number, len: number): number {
  return (inout | ((len & IOCPARM_MASK) << 16) | (group.charCodeAt(0) << 8) | num) >>> 0;
}

const NAME = [['name', 'name']] as const;
const FLAGS = [...NAME, ['flags', 'u32']] as const;
const MTU = [...NAME, ['mtu', 'u32']] as const;
const ADDR = [...NAME, ['addr', 'ip4'], ['prefixlen', 'u8']] as const;
const DADDR = [...NAME, ['addr', 'ip4']] as const;
const TUNNEL = [...NAME, ['src', 'ip4'], ['srcport', 'u16'], ['dst', 'ip4'], ['dstport', 'u16']] as const;
const VNETID = [...NAME, ['vnetid', 'u32']] as const;
const BREQ = [...NAME, ['member', 'name'], ['portno', 'u32']] as const;
const BDEL = [...NAME, ['member', 'name']] as const;
const BIFS = [
  ...NAME,
  [
    'ports',
    {
      list: [
        ['member', 'name'],
        ['portno', 'u32'],
        ['flags', 'u32'],
      ],
    },
  ],
] as const;
const DPID = [...NAME, ['datapath', 'u64']] as const;
const NAMES_CLONERS = [['cloners', { list: NAME }]] as const;
const NAMES_IFS = [['interfaces', { list: NAME }]] as const;
const IFDATA = [
  ...NAME,
  ['driver', 'name'],
  ['flags', 'u32'],
  ['mtu', 'u32'],
  ['linkState', 'u8'],
  ['mac', 'mac'],
  ['ipackets', 'u64'],
  ['opackets', 'u64'],
  ['ibytes', 'u64'],
  ['obytes', 'u64'],
  ['ierrors', 'u64'],
  ['oerrors', 'u64'],
  ['iqdrops', 'u64'],
  ['collisions', 'u64'],
  ['badvni', 'u64'],
  ['badhdr', 'u64'],
] as const;
const DLTARG = [['dlt', 'u32']] as const;
const BLEN = [['len', 'u32']] as const;
const BSTAT = [
  ['recv', 'u64'],
  ['drop', 'u64'],
] as const;

interface IoctlDef {
  readonly group: string;
  readonly num: number;
  readonly in: Layout | null;
  readonly out: Layout | null;
}

function def<I extends Layout | null, O extends Layout | null>(group: string, num: number, inL: I, outL: O) {
  return { group, num, in: inL, out: outL } as const;
}

/** Every interface and capture ioctl: BSD group and number, in and out layouts. */
export const IFIOCTL_DEFS = {
  SIOCIFCREATE: def('i', 122, NAME, null),
  SIOCIFDESTROY: def('i', 121, NAME, null),
  SIOCIFGCLONERS: def('i', 120, null, NAMES_CLONERS),
  SIOCGIFCONF: def('i', 38, null, NAMES_IFS),
  SIOCGIFFLAGS: def('i', 17, NAME, FLAGS),
  SIOCSIFFLAGS: def('i', 16, FLAGS, null),
  SIOCGIFMTU: def('i', 126, NAME, MTU),
  SIOCSIFMTU: def('i', 127, MTU, null),
  SIOCAIFADDR: def('i', 26, ADDR, null),
  SIOCDIFADDR: def('i', 25, DADDR, null),
  SIOCGIFADDR: def('i', 33, NAME, ADDR),
  SIOCGIFDATA: def('i', 133, NAME, IFDATA),
  SIOCSLIFPHYADDR: def('i', 74, TUNNEL, null),
  SIOCGLIFPHYADDR: def('i', 75, NAME, TUNNEL),
  SIOCDIFPHYADDR: def('i', 73, NAME, null),
  SIOCSVNETID: def('i', 166, VNETID, null),
  SIOCGVNETID: def('i', 167, NAME, VNETID),
  SIOCBRDGADD: def('i', 60, BREQ, BREQ),
  SIOCBRDGDEL: def('i', 61, BDEL, null),
  SIOCBRDGADDL: def('i', 73, BREQ, BREQ),
  SIOCSWSPORTNO: def('i', 69, BREQ, null),
  SIOCBRDGIFS: def('i', 66, NAME, BIFS),
  SIOCSWSDPID: def('i', 226, DPID, null),
  SIOCSWGDPID: def('i', 227, NAME, DPID),
  BIOCSETIF: def('B', 108, NAME, null),
  BIOCSDLT: def('B', 118, DLTARG, null),
  BIOCGDLT: def('B', 106, null, DLTARG),
  BIOCGBLEN: def('B', 102, null, BLEN),
  BIOCGSTATS: def('B', 111, null, BSTAT),
  BIOCFLUSH: def('B', 104, null, null),
} as const satisfies Record<string, IoctlDef>;

export type IfIoctlName = keyof typeof IFIOCTL_DEFS;
type Defs = typeof IFIOCTL_DEFS;
/** The decoded input structure of an ioctl (undefined when it takes none). */
export type IfIoctlIn<N extends IfIoctlName> = Defs[N]['in'] extends Layout
  ? StructOf<Defs[N]['in']>
  : undefined;
/** The decoded output structure of an ioctl (undefined when it returns none). */
export type IfIoctlOut<N extends IfIoctlName> = Defs[N]['out'] extends Layout
  ? StructOf<Defs[N]['out']>
  : undefined;

function commandOf(d: IoctlDef): number {
  // Where both directions carry a structure, its length is the larger fixed part.
  const len = Math.max(d.in ? fixedSize(d.in) : 0, d.out ? fixedSize(d.out) : 0);
  return ioc((d.in ? IOC_IN : 0) | (d.out ? IOC_OUT : 0), d.group, d.num, len);
}

/** The ioctl command numbers. */
export const IFIOCTL = Object.fromEntries(
  Object.entries(IFIOCTL_DEFS).map(([k, d]) => [k, commandOf(d)]),
) as {
  readonly [K in IfIoctlName]: number;
};

const BY_CMD = new Map<number, IfIoctlName>(Object.entries(IFIOCTL).map(([k, v]) => [v, k as IfIoctlName]));

/** The name of an interface/capture ioctl command, or undefined. */
export function ifIoctlName(cmd: number): IfIoctlName | undefined {
  return BY_CMD.get(cmd >>> 0);
}

/** A malformed argument structure: the kernel answers EINVAL. */
export class IfIoctlError extends Error {
  override readonly name = 'IfIoctlError';
  readonly errno: number = ERRNO.EINVAL;
}

/** At most this many entries in a list (the kernel's bound on one answer). */
export const IFIOCTL_MAX_LIST = 4096;

// ---- encode -------------------------------------------------------------------------

function ip4Bytes(s: unknown, field: string): number[] {
  const m = typeof s === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s) : null;
  const parts = m ? m.slice(1).map(Number) : [];
  if (!m || parts.some((p) => p > 255)) throw new IfIoctlError(`${field}: not an IPv4 address: ${String(s)}`);
  return parts;
}

function macBytes(s: unknown, field: string): number[] {
  const m =
    typeof s === 'string'
      ? /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(s)
      : null;
  if (!m) throw new IfIoctlError(`${field}: not a MAC address: ${String(s)}`);
  return m.slice(1).map((h) => parseInt(h, 16));
}

function sizeOf(layout: Layout, v: Record<string, unknown>): number {
  let n = 0;
  for (const [f, t] of layout) {
    if (typeof t === 'string') n += SIZE[t];
    else {
      const items = v[f];
      if (!Array.isArray(items)) throw new IfIoctlError(`${f}: not a list`);
      if (items.length > IFIOCTL_MAX_LIST)
        throw new IfIoctlError(`${f}: more than ${IFIOCTL_MAX_LIST} entries`);
      n += 4;
      for (const it of items) n += sizeOf(t.list, it as Record<string, unknown>);
    }
  }
  return n;
}

function writeLayout(layout: Layout, v: Record<string, unknown>, dv: DataView, off: number): number {
  const bytes = new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength);
  for (const [f, t] of layout) {
    const x = v[f];
    if (typeof t !== 'string') {
      const items = x as Record<string, unknown>[];
      dv.setUint32(off, items.length);
      off += 4;
      for (const it of items) off = writeLayout(t.list, it, dv, off);
      continue;
    }
    switch (t) {
      case 'name': {
        if (typeof x !== 'string') throw new IfIoctlError(`${f}: not a name`);
        const enc = new TextEncoder().encode(x);
        if (enc.length >= IFNAMSIZ || enc.includes(0))
          throw new IfIoctlError(`${f}: bad interface name ${JSON.stringify(x)}`);
        bytes.fill(0, off, off + IFNAMSIZ);
        bytes.set(enc, off);
        break;
      }
      case 'u8':
      case 'u16':
      case 'u32': {
        const max = t === 'u8' ? 0xff : t === 'u16' ? 0xffff : 0xffffffff;
        if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > max)
          throw new IfIoctlError(`${f}: not a ${t}: ${String(x)}`);
        if (t === 'u8') dv.setUint8(off, x);
        else if (t === 'u16') dv.setUint16(off, x);
        else dv.setUint32(off, x);
        break;
      }
      case 'u64':
        if (typeof x !== 'bigint' || x < 0n || x > 0xffffffffffffffffn)
          throw new IfIoctlError(`${f}: not a u64: ${String(x)}`);
        dv.setBigUint64(off, x);
        break;
      case 'ip4':
        bytes.set(ip4Bytes(x, f), off);
        break;
      case 'mac':
        bytes.set(macBytes(x, f), off);
        break;
    }
    off += SIZE[t];
  }
  return off;
}

function encodeLayout(layout: Layout, v: unknown): Uint8Array {
  if (typeof v !== 'object' || v === null) throw new IfIoctlError('argument is not a structure');
  const rec = v as Record<string, unknown>;
  const out = new Uint8Array(sizeOf(layout, rec));
  writeLayout(layout, rec, new DataView(out.buffer), 0);
  return out;
}

// ---- decode -------------------------------------------------------------------------

function readLayout(
  layout: Layout,
  b: Uint8Array,
  dv: DataView,
  off: number,
  depth: number,
): [Record<string, unknown>, number] {
  const v: Record<string, unknown> = {};
  for (const [f, t] of layout) {
    if (typeof t !== 'string') {
      if (depth > 0) throw new IfIoctlError('nested lists');
      if (off + 4 > b.length) throw new IfIoctlError(`${f}: truncated`);
      const n = dv.getUint32(off);
      off += 4;
      if (n > IFIOCTL_MAX_LIST) throw new IfIoctlError(`${f}: ${n} entries, at most ${IFIOCTL_MAX_LIST}`);
      if (n * fixedSize(t.list) > b.length - off) throw new IfIoctlError(`${f}: truncated`);
      const items: Record<string, unknown>[] = [];
      for (let i = 0; i < n; i++) {
        const [it, next] = readLayout(t.list, b, dv, off, depth + 1);
        items.push(it);
        off = next;
      }
      v[f] = items;
      continue;
    }
    if (off + SIZE[t] > b.length) throw new IfIoctlError(`${f}: truncated`);
    switch (t) {
      case 'name': {
        const raw = b.subarray(off, off + IFNAMSIZ);
        const nul = raw.indexOf(0);
        if (nul < 0) throw new IfIoctlError(`${f}: name not NUL-terminated`);
        if (raw.subarray(nul).some((c) => c !== 0))
          throw new IfIoctlError(`${f}: bytes after the name's NUL`);
        let s: string;
        try {
          s = new TextDecoder('utf-8', { fatal: true }).decode(raw.subarray(0, nul));
        } catch {
          throw new IfIoctlError(`${f}: name is not UTF-8`);
        }
        v[f] = s;
        break;
      }
      case 'u8':
        v[f] = dv.getUint8(off);
        break;
      case 'u16':
        v[f] = dv.getUint16(off);
        break;
      case 'u32':
        v[f] = dv.getUint32(off);
        break;
      case 'u64':
        v[f] = dv.getBigUint64(off);
        break;
      case 'ip4':
        v[f] = [...b.subarray(off, off + 4)].join('.');
        break;
      case 'mac':
        v[f] = [...b.subarray(off, off + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
        break;
    }
    off += SIZE[t];
  }
  return [v, off];
}

function decodeLayout(layout: Layout, b: Uint8Array | null): Record<string, unknown> {
  if (!b) throw new IfIoctlError('argument missing');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const [v, end] = readLayout(layout, b, dv, 0, 0);
  if (end !== b.length) throw new IfIoctlError(`${b.length - end} bytes after the structure`);
  return v;
}

/** The bytes of an ioctl's input structure (null when it takes none); IfIoctlError when `v` does not fit. */
export function encodeIfIoctlIn<N extends IfIoctlName>(name: N, v: IfIoctlIn<N>): Uint8Array | null {
  const l: Layout | null = IFIOCTL_DEFS[name].in;
  return l ? encodeLayout(l, v) : null;
}

/** An ioctl's input structure from its bytes; IfIoctlError (EINVAL) when malformed. */
export function decodeIfIoctlIn<N extends IfIoctlName>(name: N, b: Uint8Array | null): IfIoctlIn<N> {
  const l: Layout | null = IFIOCTL_DEFS[name].in;
  return (l ? decodeLayout(l, b) : undefined) as IfIoctlIn<N>;
}

/** The bytes of an ioctl's output structure (null when it returns none). */
export function encodeIfIoctlOut<N extends IfIoctlName>(name: N, v: IfIoctlOut<N>): Uint8Array | null {
  const l: Layout | null = IFIOCTL_DEFS[name].out;
  return l ? encodeLayout(l, v) : null;
}

/** An ioctl's output structure from its bytes; IfIoctlError when malformed. */
export function decodeIfIoctlOut<N extends IfIoctlName>(name: N, b: Uint8Array | null): IfIoctlOut<N> {
  const l: Layout | null = IFIOCTL_DEFS[name].out;
  return (l ? decodeLayout(l, b) : undefined) as IfIoctlOut<N>;
}

/** The path of the capture device. */
export const BPF_PATH = '/dev/bpf';
