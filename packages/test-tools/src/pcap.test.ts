import { describe, expect, it } from 'vitest';
import { inetChecksum, payloadFrameNumbers, pcapOf, tcpPcap } from './pcap.js';
import { runTshark, tsharkVersion } from './tshark.js';

describe('pcap writer', () => {
  it('writes the classic header and one record per frame', () => {
    const b = pcapOf([Uint8Array.of(1, 2, 3), Uint8Array.of(4)], { startTime: 10, stepUsec: 1_500_000 });
    expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect([b.readUInt16LE(4), b.readUInt16LE(6), b.readUInt32LE(20)]).toEqual([2, 4, 1]);
    expect([b.readUInt32LE(24), b.readUInt32LE(28), b.readUInt32LE(32), b.readUInt32LE(36)]).toEqual([
      10, 0, 3, 3,
    ]);
    expect([...b.subarray(40, 43)]).toEqual([1, 2, 3]);
    expect([b.readUInt32LE(43), b.readUInt32LE(47), b.readUInt32LE(51)]).toEqual([11, 500000, 1]);
    expect(b.length).toBe(24 + 16 + 3 + 16 + 1);
  });

  it('computes the Internet checksum (RFC 1071 example)', () => {
    // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, whose complement is 220d
    expect(inetChecksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(0x220d);
    expect(inetChecksum(Uint8Array.of(0xff))).toBe(0x00ff);
  });

  it('frames payloads as one TCP connection', () => {
    const b = tcpPcap([Uint8Array.of(9, 9), Uint8Array.of(8)]);
    expect(payloadFrameNumbers(2)).toEqual([4, 6]);
    // 3 handshake + 2 x (data, ack) + 3 teardown
    let p = 24;
    let n = 0;
    while (p < b.length) {
      p += 16 + b.readUInt32LE(p + 8);
      n++;
    }
    expect(n).toBe(10);
  });
});

describe.skipIf(tsharkVersion() === undefined)('runTshark', () => {
  it('dissects what tcpPcap writes: good checksums, one stream, the payloads', async () => {
    const out = await runTshark(tcpPcap([Buffer.from('hello'), Buffer.from('world!')]), [
      '-o',
      'tcp.check_checksum:TRUE',
      '-o',
      'ip.check_checksum:TRUE',
      '-T',
      'fields',
      '-e',
      'frame.number',
      '-e',
      'tcp.stream',
      '-e',
      'ip.checksum.status',
      '-e',
      'tcp.checksum.status',
      '-e',
      'tcp.payload',
    ]);
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(10);
    for (const r of rows) expect(r.slice(1, 4)).toEqual(['0', '1', '1']);
    expect(
      rows.filter((r) => r[4]).map((r) => [r[0], Buffer.from(r[4]!.replace(/:/g, ''), 'hex').toString()]),
    ).toEqual([
      ['4', 'hello'],
      ['6', 'world!'],
    ]);
  });
});
