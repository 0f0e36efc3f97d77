// Differential test against an independent implementation: Wireshark's dissectors. Built
// frames, rewritten frames (every checksum-relevant set-field), pushed/popped frames and
// TTL-decremented frames are written to a pcap and dissected by tshark with checksum
// validation on for IPv4, TCP, UDP and SCTP (CRC-32C); ICMP and ICMPv6 are always checked.
// Every checksum tshark reports must be good, every checksum our own checker expects must be
// reported, and nothing may be malformed.
//
// Requires tshark (`apt-get install -y tshark`); without it the suite is skipped, loudly.

import type { OxmFieldName } from '@rumpflow/openflow';
import { pcapOf, requireTshark, runTshark } from '@rumpflow/test-tools';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTcp, buildUdp, TCP_FLAGS } from '../src/build.js';
import { popMpls, pushMpls, pushVlan } from '../src/encap.js';
import { FlowKey } from '../src/key.js';
import { parseFrame } from '../src/parse.js';
import { setField } from '../src/rewrite.js';
import { copyTtlIn, decNwTtl } from '../src/ttl.js';
import { V4, V6, payload, sampleFrames } from './fixtures.js';
import { type Verdict, verifyFrame } from './verify.js';

const TSHARK = requireTshark('packet/test/tshark.test.ts', [
  "the checksums of built and rewritten frames are NOT being checked against Wireshark's dissectors.",
]);

// ---------------------------------------------------------------------------------------
// The frames

const parse = (f: Uint8Array) => parseFrame(f, new FlowKey());

/** A copy of `f` with set-fields applied (each must succeed). */
function rewritten(f: Buffer, sets: [OxmFieldName, unknown][]): Buffer {
  const g = Buffer.from(f);
  const key = parse(g);
  for (const [field, value] of sets) {
    if (!setField(g, key, field, value as never)) throw new Error(`${field} refused`);
  }
  return g;
}

function frames(): [string, Buffer][] {
  const s = sampleFrames();
  const out: [string, Buffer][] = Object.entries(s);
  const addr4: [OxmFieldName, unknown][] = [
    ['IPV4_SRC', '192.0.2.77'],
    ['IPV4_DST', '198.51.100.3'],
    ['IP_DSCP', 46],
    ['IP_ECN', 1],
  ];
  const addr6: [OxmFieldName, unknown][] = [
    ['IPV6_SRC', '2001:db8:1::77'],
    ['IPV6_DST', 'fd00::3'],
    ['IP_DSCP', 8],
    ['IPV6_FLABEL', 0xbeef],
  ];
  out.push(['tcp4 rewritten', rewritten(s['tcp4']!, [...addr4, ['TCP_SRC', 1], ['TCP_DST', 65535]])]);
  out.push([
    'tcp4 vlan rewritten',
    rewritten(s['tcp4 vlan']!, [...addr4, ['VLAN_VID', 4000], ['VLAN_PCP', 7]]),
  ]);
  out.push(['tcp6 rewritten', rewritten(s['tcp6']!, [...addr6, ['TCP_SRC', 7], ['TCP_DST', 8]])]);
  out.push(['tcp6 ext rewritten', rewritten(s['tcp6 ext']!, [...addr6, ['TCP_DST', 9]])]);
  out.push(['udp4 rewritten', rewritten(s['udp4']!, [...addr4, ['UDP_SRC', 40000], ['UDP_DST', 40001]])]);
  out.push(['udp4 padded rewritten', rewritten(s['udp4 padded']!, [...addr4, ['UDP_DST', 40001]])]);
  out.push(['udp4 no checksum rewritten', rewritten(s['udp4 no checksum']!, [...addr4, ['UDP_DST', 40001]])]);
  out.push(['udp6 rewritten', rewritten(s['udp6']!, [...addr6, ['UDP_SRC', 1]])]);
  out.push(['sctp4 rewritten', rewritten(s['sctp4']!, [...addr4, ['SCTP_SRC', 40101], ['SCTP_DST', 40102]])]);
  out.push(['sctp6 rewritten', rewritten(s['sctp6']!, [...addr6, ['SCTP_DST', 40102]])]);
  out.push([
    'icmp4 rewritten',
    rewritten(s['icmp4 echo']!, [...addr4, ['ICMPV4_TYPE', 0], ['ICMPV4_CODE', 0]]),
  ]);
  out.push(['icmp6 rewritten', rewritten(s['icmp6 echo']!, [...addr6, ['ICMPV6_TYPE', 128]])]);
  out.push([
    'nd solicit rewritten',
    rewritten(s['nd solicit']!, [
      ['IPV6_SRC', 'fe80::77'],
      ['IPV6_ND_TARGET', 'fe80::99'],
      ['IPV6_ND_SLL', '02:aa:bb:cc:dd:ee'],
    ]),
  ]);
  out.push([
    'nd advert rewritten',
    rewritten(s['nd advert']!, [
      ['IPV6_DST', 'ff02::1'],
      ['IPV6_ND_TARGET', '2001:db8::99'],
      ['IPV6_ND_TLL', '02:aa:bb:cc:dd:ef'],
    ]),
  ]);
  // a UDP checksum that computes to 0 (sent as 0xffff) after a rewrite
  const base = buildUdp({ ...V4, srcPort: 0, dstPort: 40001, payload: payload(9) });
  out.push(['udp4 checksum 0xffff', rewritten(base, [['UDP_SRC', base.readUInt16BE(34 + 6)]])]);
  // push/pop and TTL actions
  const tcp = buildTcp({
    ...V4,
    srcPort: 40000,
    dstPort: 40080,
    flags: TCP_FLAGS.ACK,
    seq: 1,
    ack: 1,
    payload: payload(5),
  });
  out.push(['tcp4 push vlan', pushVlan(tcp, parse(tcp), 0x88a8)]);
  const mpls = pushMpls(tcp, parse(tcp));
  out.push(['tcp4 push mpls', mpls]);
  copyTtlIn(mpls, parse(mpls));
  out.push(['tcp4 pop mpls', popMpls(mpls, parse(mpls), 0x0800)!]);
  const ttl = Buffer.from(tcp);
  decNwTtl(ttl, parse(ttl));
  out.push(['tcp4 dec ttl', ttl]);
  const ttl6 = buildUdp({ ...V6, srcPort: 40000, dstPort: 40001 });
  decNwTtl(ttl6, parse(ttl6));
  out.push(['udp6 dec ttl', ttl6]);
  return out;
}

// ---------------------------------------------------------------------------------------
// tshark's view

interface Dissected {
  /** protocol -> checksum status values ("1" good, "0" bad, "2" unverified, "3" not present). */
  status: Map<string, string[]>;
  malformed: boolean;
}

function walk(node: unknown, d: Dissected): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, d);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '_ws.malformed') d.malformed = true;
    const m = /^([a-z0-9]+)\.checksum\.status$/.exec(k);
    if (m) {
      const values = (Array.isArray(v) ? v : [v]).map(String);
      d.status.set(m[1]!, [...(d.status.get(m[1]!) ?? []), ...values]);
    }
    walk(v, d);
  }
}

async function dissect(pcap: Uint8Array): Promise<Dissected[]> {
  const stdout = await runTshark(pcap, [
    '-V',
    '-T',
    'json',
    '--no-duplicate-keys',
    '-o',
    'ip.check_checksum:TRUE',
    '-o',
    'tcp.check_checksum:TRUE',
    '-o',
    'udp.check_checksum:TRUE',
    '-o',
    'sctp.checksum:CRC 32c',
  ]);
  return (JSON.parse(stdout) as unknown[]).map((pkt) => {
    const d: Dissected = { status: new Map(), malformed: false };
    walk(pkt, d);
    return d;
  });
}

/** The checksums our independent checker says the frame carries, by tshark protocol name. */
function expected(v: Verdict): Map<string, string> {
  const want = new Map<string, string>();
  if (v.ipv4 !== undefined) want.set('ip', '1');
  const proto = {
    tcp: 'tcp',
    udp: 'udp',
    'udp-none': 'udp',
    icmp: 'icmp',
    icmpv6: 'icmpv6',
    sctp: 'sctp',
  } as const;
  if (v.kind) want.set(proto[v.kind], v.kind === 'udp-none' ? '3' : '1');
  return want;
}

describe.skipIf(TSHARK === undefined)(`checksums as tshark ${TSHARK ?? ''} sees them`, () => {
  const list = frames();
  let dissected: Dissected[] = [];

  beforeAll(async () => {
    dissected = await dissect(pcapOf(list.map(([, f]) => f)));
  }, 60_000);

  it('dissects one packet per frame', () => {
    expect(dissected.length).toBe(list.length);
  });

  it.each(list.map(([name], i) => [name, i] as const))('%s', (_name, i) => {
    const [, frame] = list[i]!;
    const d = dissected[i]!;
    expect(d.malformed).toBe(false);
    for (const [proto, values] of d.status) {
      for (const v of values) expect([proto, v]).toEqual([proto, proto === 'udp' && v === '3' ? '3' : '1']);
    }
    for (const [proto, want] of expected(verifyFrame(frame)))
      expect([proto, d.status.get(proto)]).toEqual([proto, [want]]);
  });
});
