// The encoder refuses what does not fit the wire instead of wrapping it silently: every
// number a writer puts down is range-checked and the TypeError names the field, and
// NUL-terminated names keep room for their NUL.
import { describe, expect, it } from 'vitest';
import { OFPP } from './constants.js';
import { type Message, decode, encode } from './messages.js';
import type { Port } from './structures.js';

const port = (name: string): Port => ({
  portNo: 1,
  hwAddr: '02:00:00:00:00:01',
  name,
  config: 0,
  state: 0,
  curr: 0,
  advertised: 0,
  supported: 0,
  peer: 0,
  currSpeed: 0,
  maxSpeed: 0,
});
const portStatus = (name: string): Message => ({ type: 'PORT_STATUS', xid: 1, reason: 0, desc: port(name) });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('NUL-terminated names (str(n))', () => {
  it('take at most n - 1 bytes, so the NUL fits', () => {
    const ok = decode(encode(portStatus('a'.repeat(15))));
    expect(ok).toMatchObject({ desc: { name: 'a'.repeat(15) } });
    expect(() => encode(portStatus('a'.repeat(16)))).toThrow(TypeError);
    expect(() => encode(portStatus('a'.repeat(16)))).toThrow(
      /^name: longer than 15 bytes \(a NUL-terminated char\[16\]\)/,
    );
    // bytes, not characters: 8 two-byte characters are 16 bytes
    expect(() => encode(portStatus('é'.repeat(8)))).toThrow(/^name: longer than 15 bytes/);
    const desc: Message = {
      type: 'MULTIPART_REPLY',
      xid: 2,
      flags: 0,
      mpType: 'DESC',
      mfrDesc: 'm',
      hwDesc: 'h',
      swDesc: 's',
      serialNum: 'x'.repeat(32),
      dpDesc: 'd',
    };
    expect(() => encode(desc)).toThrow(/^serialNum: longer than 31 bytes/);
  });

  it('received without their NUL still decode, and go back out as received', () => {
    const b = Buffer.from(encode(portStatus('p')));
    const at = 16 + 16; // header 8, reason and pad 8, then port_no 4, pad 4, hw_addr 6, pad 2
    b.write('0123456789abcdef', at, 'latin1');
    const m = decode(b);
    expect(m).toMatchObject({ desc: { name: '0123456789abcdef' } });
    expect(hex(encode(m))).toBe(hex(b));
  });
});

describe('numbers are range-checked, the TypeError naming the field', () => {
  const cases: [string, Message, RegExp][] = [
    [
      'u32s (async masks)',
      {
        type: 'SET_ASYNC',
        xid: 1,
        packetInMask: [2 ** 32, 0],
        portStatusMask: [0, 0],
        flowRemovedMask: [0, 0],
      },
      /^packetInMask\[0\]: not a 32-bit unsigned integer: 4294967296$/,
    ],
    [
      'u32s (negative)',
      { type: 'SET_ASYNC', xid: 1, packetInMask: [0, 0], portStatusMask: [0, -1], flowRemovedMask: [0, 0] },
      /^portStatusMask\[1\]: not a 32-bit unsigned integer: -1$/,
    ],
    [
      'u32s (group features, not an integer)',
      {
        type: 'MULTIPART_REPLY',
        xid: 1,
        flags: 0,
        mpType: 'GROUP_FEATURES',
        types: 0,
        capabilities: 0,
        maxGroups: [1, 2, 3, 4.5],
        actions: [0, 0, 0, 0],
      },
      /^maxGroups\[3\]: not a 32-bit unsigned integer: 4\.5$/,
    ],
    [
      'HELLO version bitmaps',
      {
        type: 'HELLO',
        xid: 1,
        version: 4,
        elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x10, 2 ** 32 + 0x10] }],
      },
      /^bitmaps\[1\]: not a 32-bit unsigned integer: 4294967312$/,
    ],
    [
      'table ids of a NEXT_TABLES property',
      tableFeaturesWith({ type: 'NEXT_TABLES', tableIds: [1, 256] }),
      /^tableIds\[1\]: not a 8-bit unsigned integer: 256$/,
    ],
    [
      'oxm ids: class',
      tableFeaturesWith({
        type: 'MATCH',
        oxmIds: [{ oxmClass: 0x18000, oxmField: 1, hasMask: false, length: 4 }],
      }),
      /^oxmIds\.oxmClass: not a 16-bit unsigned integer: 98304$/,
    ],
    [
      'oxm ids: field',
      tableFeaturesWith({
        type: 'MATCH',
        oxmIds: [{ oxmClass: 0x8000, oxmField: 128, hasMask: false, length: 4 }],
      }),
      /^oxmIds\.oxmField: not a 7-bit unsigned integer: 128$/,
    ],
    [
      'oxm ids: length',
      tableFeaturesWith({
        type: 'MATCH',
        oxmIds: [{ oxmClass: 0x8000, oxmField: 1, hasMask: false, length: 300 }],
      }),
      /^oxmIds\.length: not a 8-bit unsigned integer: 300$/,
    ],
    [
      'oxm ids: experimenter',
      tableFeaturesWith({
        type: 'MATCH',
        oxmIds: [{ oxmClass: 0xffff, oxmField: 1, hasMask: false, length: 4, experimenter: -5 }],
      }),
      /^oxmIds\.experimenter: not a 32-bit unsigned integer: -5$/,
    ],
    [
      'ERROR type',
      { type: 'ERROR', xid: 1, errType: 0x10001, code: 0, data: new Uint8Array(0) },
      /^errType: not a 16-bit unsigned integer: 65537$/,
    ],
    [
      'ERROR code',
      { type: 'ERROR', xid: 1, errType: 1, code: -1, data: new Uint8Array(0) },
      /^code: not a 16-bit unsigned integer: -1$/,
    ],
    [
      'ERROR xid',
      { type: 'ERROR', xid: 2 ** 32, errType: 1, code: 1, data: new Uint8Array(0) },
      /^xid: not a 32-bit unsigned integer/,
    ],
    [
      'ERROR experimenter',
      { type: 'ERROR', xid: 1, errType: 0xffff, code: 1, experimenter: 2 ** 33, data: new Uint8Array(0) },
      /^experimenter: not a 32-bit unsigned integer/,
    ],
    [
      'OXM u64 value',
      matchWith({ field: 'METADATA', value: 1n << 64n }),
      /^METADATA: not a 64-bit unsigned bigint: 18446744073709551616$/,
    ],
    [
      'OXM u64 negative',
      matchWith({ field: 'TUNNEL_ID', value: -1n }),
      /^TUNNEL_ID: not a 64-bit unsigned bigint: -1$/,
    ],
    [
      'OXM u64 mask',
      matchWith({ field: 'METADATA', value: 0n, mask: 1n << 70n }),
      /^METADATA mask: not a 64-bit unsigned bigint/,
    ],
    [
      'OXM u64 given a number',
      matchWith({ field: 'METADATA', value: 5 as unknown as bigint }),
      /^METADATA: not a 64-bit unsigned bigint: 5$/,
    ],
    [
      'OXM u32',
      matchWith({ field: 'IN_PORT', value: 2 ** 32 }),
      /^IN_PORT: not a 32-bit unsigned integer: 4294967296$/,
    ],
    [
      'OXM u24',
      matchWith({ field: 'PBB_ISID', value: 1 << 24 }),
      /^PBB_ISID: not a 24-bit unsigned integer: 16777216$/,
    ],
    [
      'OXM u16',
      matchWith({ field: 'VLAN_VID', value: 0x1000, mask: 0x10000 }),
      /^VLAN_VID mask: not a 16-bit unsigned integer: 65536$/,
    ],
    ['OXM u8', matchWith({ field: 'IP_PROTO', value: 256 }), /^IP_PROTO: not a 8-bit unsigned integer: 256$/],
    [
      'opaque OXM class',
      matchWith({ field: 'OPAQUE', oxmClass: 0x10000, oxmField: 1, hasMask: false, body: new Uint8Array(4) }),
      /^oxmClass: not a 16-bit unsigned integer: 65536$/,
    ],
    [
      'opaque OXM field',
      matchWith({ field: 'OPAQUE', oxmClass: 1, oxmField: 200, hasMask: false, body: new Uint8Array(4) }),
      /^oxmField: not a 7-bit unsigned integer: 200$/,
    ],
    [
      'struct u32 (as before)',
      { type: 'ECHO_REQUEST', xid: -1, data: new Uint8Array(0) },
      /^xid: not a 32-bit unsigned integer: -1$/,
    ],
  ];
  it.each(cases)('%s', (_name, m, message) => {
    expect(() => encode(m)).toThrow(TypeError);
    expect(() => encode(m)).toThrow(message);
  });

  it('still accepts the extremes', () => {
    const ok: Message[] = [
      {
        type: 'SET_ASYNC',
        xid: 0xffffffff,
        packetInMask: [0xffffffff, 0],
        portStatusMask: [0, 0],
        flowRemovedMask: [0, 0],
      },
      { type: 'ERROR', xid: 1, errType: 0xfffe, code: 0xffff, data: new Uint8Array(0) },
      matchWith({ field: 'METADATA', value: 0xffffffffffffffffn, mask: 0xffffffffffffffffn }),
      tableFeaturesWith({ type: 'NEXT_TABLES', tableIds: [0, 255] }),
    ];
    for (const m of ok) expect(hex(encode(decode(encode(m))))).toBe(hex(encode(m)));
  });
});

function tableFeaturesWith(prop: object): Message {
  return {
    type: 'MULTIPART_REQUEST',
    xid: 1,
    flags: 0,
    mpType: 'TABLE_FEATURES',
    tables: [
      {
        tableId: 0,
        name: 't',
        metadataMatch: 0n,
        metadataWrite: 0n,
        config: 0,
        maxEntries: 1,
        properties: [prop as never],
      },
    ],
  };
}

function matchWith(o: object): Message {
  return {
    type: 'MULTIPART_REQUEST',
    xid: 1,
    flags: 0,
    mpType: 'FLOW',
    tableId: 0xff,
    outPort: OFPP.ANY,
    outGroup: 0xffffffff,
    cookie: 0n,
    cookieMask: 0n,
    match: [o as never],
  };
}
