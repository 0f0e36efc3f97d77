// Property tests of the byte formats this package writes and reads: VXLAN encapsulation and
// the pcap records of /dev/bpf (with the DLT_OPENFLOW pseudo-header).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openflowPseudoHeader, pcapFileHeader, pcapRecord } from './bpf.js';
import { MAX_VNI, VXLAN_HEADER_LEN, vxlanDecap, vxlanEncap } from './vxlan.js';

describe('VXLAN encapsulation', () => {
  it('decap(encap(frame, vni)) gives both back; the reserved bits are zero', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 14, maxLength: 1600 }),
        fc.integer({ min: 0, max: MAX_VNI }),
        (frame, vni) => {
          const d = vxlanEncap(frame, vni);
          expect(d.length).toBe(frame.length + VXLAN_HEADER_LEN);
          expect([d[0], d[1], d[2], d[3], d[7]]).toEqual([0x08, 0, 0, 0, 0]);
          expect(vxlanDecap(d)).toEqual({ vni, frame });
        },
      ),
    );
  });

  it('any datagram decodes or is refused, never throws; the I flag and the length decide', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (d) => {
        const r = vxlanDecap(d);
        const valid = d.length >= VXLAN_HEADER_LEN + 14 && ((d[0] as number) & 0x08) !== 0;
        expect(r !== undefined).toBe(valid);
      }),
    );
  });
});

describe('pcap records', () => {
  it('a record carries the time, the lengths and the data cut at the snap length', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 3 }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 1000 }),
        (parts, ms, snaplen) => {
          const r = pcapRecord(ms, parts, snaplen);
          const v = new DataView(r.buffer);
          const all = Uint8Array.from(parts.flatMap((p) => [...p]));
          const cap = Math.min(all.length, snaplen);
          expect(v.getUint32(0, true)).toBe(Math.floor(ms / 1000));
          expect(v.getUint32(4, true)).toBe((ms % 1000) * 1000);
          expect(v.getUint32(8, true)).toBe(cap);
          expect(v.getUint32(12, true)).toBe(all.length);
          expect(r.subarray(16)).toEqual(all.subarray(0, cap));
        },
      ),
    );
  });

  it('the file header and the DLT_OPENFLOW pseudo-header are laid out as libpcap and OpenBSD define them', () => {
    expect([...pcapFileHeader(267)]).toEqual([
      0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0x0b, 1, 0, 0,
    ]);
    fc.assert(
      fc.property(fc.boolean(), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (toSwitch, dpid) => {
        const h = openflowPseudoHeader(toSwitch, dpid);
        const v = new DataView(h.buffer);
        expect(h.length).toBe(12);
        expect(v.getUint32(0)).toBe(toSwitch ? 1 : 2);
        expect(v.getBigUint64(4)).toBe(dpid);
      }),
    );
  });
});
