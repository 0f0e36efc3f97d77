// Frame-parse rates: a TCP/IPv4 frame, a VLAN + two-label MPLS frame, a TCP/IPv6 frame with
// three extension headers, and an ARP frame, all into one reused FlowKey. The baseline,
// measured in the same run, reads only the 14-byte Ethernet header (two MACs and the
// ethertype) into the key, so figures compare across machines. Target: 1,500,000 TCP/IPv4
// parses/s. Also reported: the set-field and TTL rates, and an allocation check (the parse
// path must allocate nothing).
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { formatReport, measure } from '@rumpflow/bench';
import {
  FlowKey,
  TCP_FLAGS,
  buildArp,
  buildTcp,
  buildUdp,
  decNwTtl,
  parseFrame,
  setIpv4Src,
} from '@rumpflow/packet';

const L2 = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' };
const payload = new Uint8Array(10);
const tcp4 = buildTcp({
  ...L2,
  src: '10.0.0.1',
  dst: '10.0.0.2',
  srcPort: 40000,
  dstPort: 80,
  flags: TCP_FLAGS.ACK,
  seq: 1,
  ack: 1,
  payload,
});
const vlanMpls = buildUdp({
  ...L2,
  src: '10.0.0.1',
  dst: '10.0.0.2',
  srcPort: 1,
  dstPort: 2,
  vlan: 100,
  mpls: [{ label: 16 }, { label: 17 }],
  payload,
});
const tcp6 = buildTcp({
  ...L2,
  src: '2001:db8::1',
  dst: '2001:db8::2',
  srcPort: 40000,
  dstPort: 80,
  flags: TCP_FLAGS.ACK,
  seq: 1,
  ack: 1,
  payload,
  ext: [{ type: 'hop' }, { type: 'routing' }, { type: 'dest' }],
});
const arp = buildArp({ op: 'request', srcMac: L2.srcMac, sha: L2.srcMac, spa: '10.0.0.1', tpa: '10.0.0.2' });

const key = new FlowKey();
const N = 100; // parses per call, to keep the harness's call overhead out of the figures

/** Read only the Ethernet header: the least a parser can do. */
function ethernetOnly(b: Uint8Array, k: FlowKey): FlowKey {
  k.ethDst =
    ((b[0]! << 8) | b[1]!) * 0x100000000 + (((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0);
  k.ethSrc =
    ((b[6]! << 8) | b[7]!) * 0x100000000 + (((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0);
  k.ethType = (b[12]! << 8) | b[13]!;
  return k;
}

const loop = (frame: Uint8Array, parse: (b: Uint8Array, k: FlowKey) => FlowKey) => () => {
  for (let i = 0; i < N; i++) parse(frame, key);
  return key;
};

const baseline = measure({
  name: 'baseline: read the Ethernet header',
  fn: loop(tcp4, ethernetOnly),
  opsPerCall: N,
});
const TCP4 = 'parse TCP/IPv4';
const results = [
  measure({ name: TCP4, fn: loop(tcp4, parseFrame), opsPerCall: N }),
  measure({ name: 'parse VLAN + MPLS x2', fn: loop(vlanMpls, parseFrame), opsPerCall: N }),
  measure({ name: 'parse TCP/IPv6 + 3 ext headers', fn: loop(tcp6, parseFrame), opsPerCall: N }),
  measure({ name: 'parse ARP', fn: loop(arp, parseFrame), opsPerCall: N }),
];

const rw = Buffer.from(tcp4);
const rwKey = parseFrame(rw, new FlowKey());
results.push(
  measure({
    name: 'set IPV4_SRC (IP + TCP checksums)',
    fn: () => {
      for (let i = 0; i < N; i++) setIpv4Src(rw, rwKey, 0x0a000000 + (i & 0xff));
      return rwKey;
    },
    opsPerCall: N,
  }),
  measure({
    name: 'dec_nw_ttl + set_nw_ttl back',
    fn: () => {
      for (let i = 0; i < N; i++) {
        decNwTtl(rw, rwKey);
        rw[14 + 8] = 64;
      }
      return rwKey;
    },
    opsPerCall: N,
  }),
);

console.log(
  formatReport('@rumpflow/packet parse (operations per second, median of 7 batches)', results, baseline, {
    [TCP4]: 1_500_000,
  }),
);

// Allocation check: 400,000 parses (four kinds) with no collection in between (counted by a
// PerformanceObserver) must leave the heap where it was. Short-lived garbage would show as
// growth or, past the young generation's size, as a scavenge.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const frames = [tcp4, vlanMpls, tcp6, arp];
const PER = 100_000;
let gcs = 0;
const observer = new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
});
observer.observe({ entryTypes: ['gc'] });
for (const f of frames) for (let i = 0; i < 10_000; i++) parseFrame(f, key); // warm up
gc();
await new Promise((r) => setTimeout(r, 50));
gcs = 0;
const before = process.memoryUsage().heapUsed;
for (const f of frames) for (let i = 0; i < PER; i++) parseFrame(f, key);
const grown = process.memoryUsage().heapUsed - before;
await new Promise((r) => setTimeout(r, 50));
observer.disconnect();
const perParse = Math.max(0, grown) / (PER * frames.length);
const clean = gcs === 0 && perParse < 1;
console.log(
  `allocation: heap ${grown >= 0 ? '+' : ''}${grown} bytes over ${PER * frames.length} parses (${perParse.toFixed(3)} B/parse), ` +
    `${gcs} collections: ${clean ? 'met (parse allocates nothing)' : 'MISSED (parse allocates)'}`,
);
