// Byte vectors written by hand from the structure layouts of the OpenFlow 1.3.5
// specification (section 7 and openflow.h), each field commented with its offset. Each is
// decoded to the expected object and the object is encoded back to the same bytes.
import { describe, expect, it } from 'vitest';
import { type Message, decode, encode } from './messages.js';

const hex = (...parts: string[]) => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');

function roundTrip(bytes: Buffer, expected: Message): void {
  const m = decode(bytes);
  expect(m).toEqual(expected);
  expect(Buffer.from(encode(expected)).toString('hex')).toBe(bytes.toString('hex'));
}

describe('hand-checked vectors', () => {
  it('HELLO with a version bitmap element (7.5.1)', () => {
    roundTrip(
      hex(
        '04 00 0010 00000001', // header: version 4, type 0, length 16, xid 1
        '0001 0008', // element VERSIONBITMAP, length 8 (header + one bitmap word)
        '00000010', // bitmap: bit 4 = version 0x04
      ),
      { type: 'HELLO', xid: 1, version: 4, elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x10] }] },
    );
  });

  it('HELLO element padding: length excludes the padding to 8 (7.5.1)', () => {
    // One element with a single bitmap would be 8 bytes; with two words it is 12 plus 4 pad.
    const b = hex('04 00 0018 00000002', '0001 000c', '00000010 00000002', '00000000');
    expect(decode(b)).toEqual({ type: 'HELLO', xid: 2, version: 4, elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x10, 2] }] });
    expect(Buffer.from(encode(decode(b))).equals(b)).toBe(true);
  });

  it('FEATURES_REPLY (7.3.1: 32 bytes)', () => {
    roundTrip(
      hex(
        '04 06 0020 00000005',
        '0000000000000abc', // datapath_id
        '00000100', // n_buffers 256
        'fe', // n_tables 254
        '00', // auxiliary_id
        '0000', // pad
        '0000004f', // capabilities FLOW|TABLE|PORT|GROUP|QUEUE
        '00000000', // reserved
      ),
      {
        type: 'FEATURES_REPLY',
        xid: 5,
        datapathId: 0xabcn,
        nBuffers: 256,
        nTables: 254,
        auxiliaryId: 0,
        capabilities: 0x4f,
        reserved: 0,
      },
    );
  });

  it('PACKET_IN with an in_port match and frame data (7.4.1)', () => {
    roundTrip(
      hex(
        '04 0a 0030 00000000',
        'ffffffff', // buffer_id NO_BUFFER
        '0006', // total_len
        '01', // reason ACTION
        '03', // table_id
        'ffffffffffffffff', // cookie
        '0001 000c', // match: type OXM, length 12 (4 + one 8-byte OXM)
        '80000004 00000007', // OXM_OF_IN_PORT = 7
        '00000000', // match padding to 16
        '0000', // pad[2]
        'aabbccddeeff', // data (6 bytes)
      ),
      {
        type: 'PACKET_IN',
        xid: 0,
        bufferId: 0xffffffff,
        totalLen: 6,
        reason: 1,
        tableId: 3,
        cookie: 0xffffffffffffffffn,
        match: [{ field: 'IN_PORT', value: 7, mask: undefined }],
        data: hex('aabbccddeeff'),
      },
    );
  });

  it('FLOW_MOD with a masked match and apply-actions (7.3.4.1, 7.2.3, 7.2.4, 7.2.5)', () => {
    roundTrip(
      hex(
        '04 0e 0078 0000000a',
        '0000000000000001', // cookie
        '0000000000000000', // cookie_mask
        '00', // table_id
        '00', // command ADD
        '003c', // idle_timeout 60
        '0000', // hard_timeout
        '8000', // priority
        'ffffffff', // buffer_id
        'ffffffff', // out_port ANY
        'ffffffff', // out_group ANY
        '0001', // flags SEND_FLOW_REM
        '0000', // pad
        // match: 4 + 6 (eth_type) + 12 (ipv4_dst masked) + 8 (in_port) = 30 -> padded to 32
        '0001 001e',
        '80000a02 0800', // ETH_TYPE (field 5 << 1 = 0x0a), len 2
        '80001908 0a000000 ff000000', // IPV4_DST masked (field 12 << 1 | 1 = 0x19), len 8
        '80000004 00000001', // IN_PORT 1
        '0000', // padding
        // instruction APPLY_ACTIONS: 8 + 16 (set_field eth_dst) + 16 (output) = 40
        '0004 0028 00000000',
        '0019 0010 80000606 001122334455 0000', // SET_FIELD eth_dst (field 3 << 1 = 6), padded to 16
        '0000 0010 00000002 ffe5 000000000000', // OUTPUT port 2 max_len 0xffe5
      ),
      {
        type: 'FLOW_MOD',
        xid: 10,
        cookie: 1n,
        cookieMask: 0n,
        tableId: 0,
        command: 0,
        idleTimeout: 60,
        hardTimeout: 0,
        priority: 0x8000,
        bufferId: 0xffffffff,
        outPort: 0xffffffff,
        outGroup: 0xffffffff,
        flags: 1,
        match: [
          { field: 'ETH_TYPE', value: 0x0800, mask: undefined },
          { field: 'IPV4_DST', value: '10.0.0.0', mask: '255.0.0.0' },
          { field: 'IN_PORT', value: 1, mask: undefined },
        ],
        instructions: [
          {
            type: 'APPLY_ACTIONS',
            actions: [
              { type: 'SET_FIELD', field: { field: 'ETH_DST', value: '00:11:22:33:44:55', mask: undefined } },
              { type: 'OUTPUT', port: 2, maxLen: 0xffe5 },
            ],
          },
        ],
      },
    );
  });

  it('PACKET_OUT: actions_len counts the actions only (7.3.7)', () => {
    roundTrip(
      hex(
        '04 0d 0032 00000003',
        'ffffffff', // buffer_id
        'fffffffd', // in_port CONTROLLER
        '0010', // actions_len 16
        '000000000000', // pad[6]
        '0000 0010 fffffffb 0000 000000000000', // OUTPUT FLOOD
        '0102030405060708090a', // data
      ),
      {
        type: 'PACKET_OUT',
        xid: 3,
        bufferId: 0xffffffff,
        inPort: 0xfffffffd,
        actions: [{ type: 'OUTPUT', port: 0xfffffffb, maxLen: 0 }],
        data: hex('0102030405060708090a'),
      },
    );
  });

  it('MULTIPART_REQUEST FLOW (7.3.5.2)', () => {
    roundTrip(
      hex(
        '04 12 0038 00000004',
        '0001 0000 00000000', // type FLOW, flags, pad
        'ff 000000', // table_id ALL, pad
        'ffffffff ffffffff', // out_port ANY, out_group ANY
        '00000000', // pad
        '0000000000000000 0000000000000000', // cookie, cookie_mask
        '0001 0004 00000000', // empty match, padded to 8
      ),
      {
        type: 'MULTIPART_REQUEST',
        xid: 4,
        mpType: 'FLOW',
        flags: 0,
        tableId: 0xff,
        outPort: 0xffffffff,
        outGroup: 0xffffffff,
        cookie: 0n,
        cookieMask: 0n,
        match: [],
      },
    );
  });

  it('PORT_STATUS with a 64-byte ofp_port (7.2.1, 7.4.3)', () => {
    roundTrip(
      hex(
        '04 0c 0050 00000000',
        '02 00000000000000', // reason MODIFY, pad[7]
        '00000001 00000000', // port_no, pad
        '0a0b0c0d0e0f 0000', // hw_addr, pad
        '766574683000000000000000000000 00', // name "veth0"
        '00000000 00000004', // config, state LIVE
        '00000820 00000000 00000000 00000000', // curr (10GB_FD|COPPER) ... peer
        '00989680 00989680', // curr_speed, max_speed 10,000,000 kbps
      ),
      {
        type: 'PORT_STATUS',
        xid: 0,
        reason: 2,
        desc: {
          portNo: 1,
          hwAddr: '0a:0b:0c:0d:0e:0f',
          name: 'veth0',
          config: 0,
          state: 4,
          curr: 0x820,
          advertised: 0,
          supported: 0,
          peer: 0,
          currSpeed: 10_000_000,
          maxSpeed: 10_000_000,
        },
      },
    );
  });

  it('METER_MOD with DROP and DSCP_REMARK bands (7.3.4.5)', () => {
    roundTrip(
      hex(
        '04 1d 0030 00000006',
        '0000 0005 00000001', // ADD, flags KBPS|BURST, meter 1
        '0001 0010 000003e8 00000064 00000000', // DROP rate 1000 burst 100
        '0002 0010 000007d0 000000c8 02 000000', // DSCP_REMARK rate 2000 burst 200 prec 2
      ),
      {
        type: 'METER_MOD',
        xid: 6,
        command: 0,
        flags: 5,
        meterId: 1,
        bands: [
          { type: 'DROP', rate: 1000, burstSize: 100 },
          { type: 'DSCP_REMARK', rate: 2000, burstSize: 200, precLevel: 2 },
        ],
      },
    );
  });

  it('GROUP_MOD with a select bucket (7.3.4.2)', () => {
    roundTrip(
      hex(
        '04 0f 0030 00000007',
        '0000 01 00 00000005', // ADD, SELECT, pad, group 5
        '0020 000a 00000003 ffffffff 00000000', // bucket len 32, weight 10, watch_port 3, watch_group ANY
        '0000 0010 00000003 0000 000000000000', // OUTPUT 3
      ),
      {
        type: 'GROUP_MOD',
        xid: 7,
        command: 0,
        groupType: 1,
        groupId: 5,
        buckets: [
          { weight: 10, watchPort: 3, watchGroup: 0xffffffff, actions: [{ type: 'OUTPUT', port: 3, maxLen: 0 }] },
        ],
      },
    );
  });

  it('ERROR and experimenter ERROR (7.4.4)', () => {
    roundTrip(hex('04 01 0014 00000008', '0004 0009', '0102030405060708'), {
      type: 'ERROR',
      xid: 8,
      errType: 4,
      code: 9,
      data: hex('0102030405060708'),
    });
    roundTrip(hex('04 01 0014 00000009', 'ffff 0001 00002320', 'aabbccdd'), {
      type: 'ERROR',
      xid: 9,
      errType: 0xffff,
      code: 1,
      experimenter: 0x2320,
      data: hex('aabbccdd'),
    });
  });

  it('ROLE_REQUEST and SET_ASYNC (7.3.9, 7.3.10)', () => {
    roundTrip(hex('04 18 0018 0000000b', '00000002 00000000', '0000000000000007'), {
      type: 'ROLE_REQUEST',
      xid: 11,
      role: 2,
      generationId: 7n,
    });
    roundTrip(hex('04 1c 0020 0000000c', '00000007 00000001', '00000007 00000007', '0000000f 00000000'), {
      type: 'SET_ASYNC',
      xid: 12,
      packetInMask: [7, 1],
      portStatusMask: [7, 7],
      flowRemovedMask: [15, 0],
    });
  });

  it('keeps non-zero padding it received and sends it back', () => {
    const b = hex('04 0a 0022 00000000', 'ffffffff 0000 00 00 0000000000000000', '0001 0004 00000000', 'abcd');
    const m = decode(b);
    expect(m).toEqual({ type: 'PACKET_IN', xid: 0, bufferId: 0xffffffff, totalLen: 0, reason: 0, tableId: 0, cookie: 0n, match: [], data: hex('') });
    expect(Buffer.from(encode(m)).equals(b)).toBe(true);
    // a copy made by spreading is canonical again
    expect(Buffer.from(encode({ ...(m as Extract<Message, { type: 'PACKET_IN' }>) })).subarray(-2).toString('hex')).toBe('0000');
  });
});
