// tcpdump's argument grammar and its pcap record counter (a stream parser: property-tested
// over every way of cutting a real pcap into chunks).
import fc from 'fast-check';
import { pcapOf } from '@rumpflow/test-tools';
import { UsageError } from '@rumpflow/service';
import { describe, expect, it } from 'vitest';
import { PcapRecordCounter, parseTcpdump } from './tcpdump.js';

describe('parseTcpdump', () => {
  it('takes -i, -w, -c, -y', () => {
    expect(parseTcpdump(['-i', 'vxlan0', '-w', 'out.pcap'])).toEqual({
      ifname: 'vxlan0',
      file: 'out.pcap',
      count: undefined,
      dlt: undefined,
    });
    expect(parseTcpdump(['-i', 'switch0', '-w', '-', '-c', '10', '-y', 'openflow'])).toEqual({
      ifname: 'switch0',
      file: '-',
      count: 10,
      dlt: 267,
    });
  });

  it('names what is wrong', () => {
    const msg = (argv: string[]): string => {
      try {
        parseTcpdump(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error('parsed');
    };
    expect(msg(['-w', 'x'])).toMatch(/-i IF is required/);
    expect(msg(['-i', 'vxlan0'])).toMatch(/-w FILE is required/);
    expect(msg(['-i', 'vxlan0', '-w', 'x', '-c', '0'])).toMatch(/-c: "0" is not a packet count/);
    expect(msg(['-i', 'vxlan0', '-w', 'x', '-y', 'PPP'])).toMatch(/unknown link type "PPP"/);
    expect(msg(['-i', 'vxlan0', '-w', 'x', '-n'])).toMatch(/tcpdump: .*'-n'/);
  });
});

describe('PcapRecordCounter', () => {
  it('counts the records of a pcap however it is cut, and stops at the limit exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 200 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 30 }),
        fc.option(fc.integer({ min: 1, max: 25 }), { nil: undefined }),
        (frames, cuts, limit) => {
          const pcap = pcapOf(frames);
          const c = new PcapRecordCounter();
          const kept: Uint8Array[] = [];
          let off = 0;
          let i = 0;
          while (off < pcap.length && (limit === undefined || c.records < limit)) {
            const chunk = pcap.subarray(off, off + (cuts[i++ % cuts.length] as number));
            off += chunk.length;
            kept.push(chunk.subarray(0, c.feed(chunk, limit)));
          }
          const want = limit === undefined ? frames.length : Math.min(limit, frames.length);
          expect(c.records).toBe(want);
          // what was kept is the header and exactly `want` whole records
          expect(Buffer.concat(kept)).toEqual(
            pcapOf(frames.slice(0, want)).subarray(0, Buffer.concat(kept).length),
          );
          expect(Buffer.concat(kept).length).toBe(pcapOf(frames.slice(0, want)).length);
        },
      ),
    );
  });
});
