// The request builders against the wire: what they build encodes to the bytes 1.3.5 lays
// out, and decodes back to itself.
import { describe, expect, it } from 'vitest';
import { decode, encode } from './index.js';
import { flowMod, flowStatsRequest } from './requests.js';

describe('request builders', () => {
  it('flowMod(): an ADD to table 0 with no buffer, any out_port/out_group, empty match', () => {
    const b = encode({ ...flowMod(), xid: 7 });
    // ofp_flow_mod: header, cookie, cookie_mask, table_id, command, idle, hard, priority,
    // buffer_id, out_port, out_group, flags, pad, then an empty OXM match (type 1, length 4)
    expect(Buffer.from(b).toString('hex')).toBe(
      '040e0038' +
        '00000007' +
        '00'.repeat(16) +
        '00' +
        '00' +
        '0000' +
        '0000' +
        '0000' +
        'ffffffff' +
        'ffffffff' +
        'ffffffff' +
        '0000' +
        '0000' +
        '00010004' +
        '00000000',
    );
    expect(decode(b)).toEqual({ ...flowMod(), xid: 7 });
  });

  it('flowMod(fields) overrides exactly the fields given', () => {
    const m = { ...flowMod({ priority: 10, command: 3, cookie: 5n, tableId: 1 }), xid: 1 };
    expect(decode(encode(m))).toEqual(m);
    expect(m).toMatchObject({ priority: 10, command: 3, cookie: 5n, tableId: 1, idleTimeout: 0 });
  });

  it('flowStatsRequest(): every table, port, group and cookie', () => {
    const m = { ...flowStatsRequest(), xid: 2 };
    expect(decode(encode(m))).toEqual(m);
    expect(m).toMatchObject({ tableId: 0xff, outPort: 0xffffffff, outGroup: 0xffffffff, cookieMask: 0n });
  });
});
