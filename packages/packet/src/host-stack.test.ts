import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IP_A, IP_B, MAC_A, MAC_B } from '../test/fixtures.js';
import { buildArp, buildIcmpEcho, buildUdp, padFrame } from './build.js';
import { checksumsValid } from './frame-checksum.js';
import { answerFrame, hostAddress } from './host-stack.js';
import { FlowKey } from './key.js';
import { parseFrame } from './parse.js';

const self = hostAddress(MAC_B, IP_B);
const answer = (f: Uint8Array) => answerFrame(f, parseFrame(f, new FlowKey()), self);

describe('answerFrame', () => {
  it('answers an ARP request for its address with a reply to the asker', () => {
    const req = buildArp({ op: 'request', srcMac: MAC_A, sha: MAC_A, spa: IP_A, tpa: IP_B });
    const reply = answer(req);
    expect(reply).toBeDefined();
    const k = parseFrame(reply!, new FlowKey());
    expect(k.arpOp).toBe(2);
    expect(Buffer.from(reply!)).toEqual(
      buildArp({ op: 'reply', srcMac: MAC_B, dstMac: MAC_A, sha: MAC_B, spa: IP_B, tha: MAC_A, tpa: IP_A }),
    );
  });

  it('ignores ARP requests for other addresses and ARP replies', () => {
    expect(answer(buildArp({ op: 'request', srcMac: MAC_A, sha: MAC_A, spa: IP_A, tpa: '10.0.0.9' }))).toBe(
      undefined,
    );
    expect(
      answer(buildArp({ op: 'reply', srcMac: MAC_A, sha: MAC_A, spa: IP_A, tha: MAC_B, tpa: IP_B })),
    ).toBe(undefined);
  });

  it('answers an echo request with the same id, seq and data (not the Ethernet padding)', () => {
    const data = Uint8Array.of(1, 2, 3);
    const req = padFrame(
      buildIcmpEcho({
        type: 'request',
        srcMac: MAC_A,
        dstMac: MAC_B,
        src: IP_A,
        dst: IP_B,
        id: 7,
        seq: 513,
        payload: data,
      }),
      60,
    );
    const reply = answer(req)!;
    expect(checksumsValid(reply, parseFrame(reply, new FlowKey()))).toBe(true);
    expect(Buffer.from(reply)).toEqual(
      buildIcmpEcho({
        type: 'reply',
        srcMac: MAC_B,
        dstMac: MAC_A,
        src: IP_B,
        dst: IP_A,
        id: 7,
        seq: 513,
        payload: data,
      }),
    );
  });

  it('does not answer echo requests to another MAC or IP, nor other IP traffic', () => {
    const base = { type: 'request' as const, srcMac: MAC_A, src: IP_A, id: 1, seq: 1 };
    expect(answer(buildIcmpEcho({ ...base, dstMac: 'ff:ff:ff:ff:ff:ff', dst: IP_B }))).toBe(undefined);
    expect(answer(buildIcmpEcho({ ...base, dstMac: MAC_B, dst: '10.0.0.3' }))).toBe(undefined);
    expect(
      answer(buildUdp({ srcMac: MAC_A, dstMac: MAC_B, src: IP_A, dst: IP_B, srcPort: 1, dstPort: 2 })),
    ).toBe(undefined);
  });

  it('never throws on arbitrary or truncated frames', () => {
    const req = buildIcmpEcho({
      type: 'request',
      srcMac: MAC_A,
      dstMac: MAC_B,
      src: IP_A,
      dst: IP_B,
      id: 1,
      seq: 1,
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(req.length), (bytes, cut) => {
        answer(bytes);
        const r = answer(req.subarray(0, cut));
        // a cut request is answered only when the whole ICMP header is there
        if (r !== undefined) expect(cut).toBeGreaterThanOrEqual(42);
      }),
    );
  });
});
