// Switch engine benchmarks, through the Datapath as a driver uses it: forwarding rate
// (receiveFrame -> pipeline -> OUTPUT on a port) through one table holding 10, 1,000, 10,000
// and 100,000 flows that use a fixed, realistic set of at most 16 distinct masks
// (learning-switch exact matches plus prefix ACLs), and the FLOW_MOD rate installing 100,000
// flows sent as OpenFlow bytes into a controller channel (decode, validate, install).
// Targets: the 100,000-flow rate at least 80% of the 10-flow rate; at least 300,000 packets/s
// with a small table; at least 100,000 flow_mods/s. Baseline in the same run: parsing the
// frame alone (the floor any forwarding pays).
import { formatReport, measure } from '@rumpflow/bench';
import { OFPFC, OFPG, OFPP, encode, type FlowMod, type Match } from '@rumpflow/openflow';
import { FlowKey, buildTcp, parseFrame } from '@rumpflow/packet';
import { Datapath } from '@rumpflow/openflow-switch';

const mac = (n: number) =>
  Array.from({ length: 6 }, (_, i) => ((Math.floor(n / 256 ** (5 - i)) & 0xff) >>> 0).toString(16).padStart(2, '0')).join(':');

const PREFIXES = [8, 12, 16, 20, 24, 28, 32];

/** Flow i: mostly learning-switch entries (one mask), some ACLs over the prefix/port masks. */
function flowMatch(i: number): { match: Match; priority: number } {
  if (i % 10 !== 0) {
    return {
      priority: 100,
      match: [
        { field: 'IN_PORT', value: 1 + (i % 4) },
        { field: 'ETH_SRC', value: mac(0x020000000000 + i) },
        { field: 'ETH_DST', value: mac(0x020000100000 + i) },
      ],
    };
  }
  const prefix = PREFIXES[(i / 10) % PREFIXES.length] as number;
  const addr = (0x0a000000 + i * 256) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const m: Match = [
    { field: 'ETH_TYPE', value: 0x0800 },
    { field: 'IPV4_DST', value: dotted((addr & mask) >>> 0), mask: dotted(mask) },
  ];
  if ((i / 10) % 2 === 1) m.push({ field: 'IP_PROTO', value: 6 }, { field: 'TCP_DST', value: 80 + (i % 100) });
  return { match: m, priority: 50 + prefix };
}

function flowMod(i: number): FlowMod {
  const { match, priority } = flowMatch(i);
  return {
    type: 'FLOW_MOD',
    xid: i,
    cookie: BigInt(i),
    cookieMask: 0n,
    tableId: 0,
    command: OFPFC.ADD,
    idleTimeout: 0,
    hardTimeout: 0,
    priority,
    bufferId: 0xffffffff,
    outPort: OFPP.ANY,
    outGroup: OFPG.ANY,
    flags: 0,
    match,
    instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 2, maxLen: 0 }] }],
  };
}

/** Frames that hit learning entries of a table holding n flows. */
function frames(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < 256; k++) {
    let i = Math.floor((k * 7919) % n);
    if (i % 10 === 0) i = (i + 1) % n;
    out.push(
      buildTcp({
        srcMac: mac(0x020000000000 + i),
        dstMac: mac(0x020000100000 + i),
        src: '10.0.0.1',
        dst: '10.9.9.9',
        srcPort: 1234,
        dstPort: 80,
        flags: 0x18,
        seq: 1,
        ack: 1,
        payload: new Uint8Array(10),
      }),
    );
  }
  return out;
}

const now = 0;
const key = new FlowKey();

/** A datapath with four ports and a controller channel past its HELLO. */
function datapath(): { dp: Datapath; install: (bytes: Uint8Array) => void; sent: () => number } {
  const dp = new Datapath({ datapathId: 1n, now: () => now, nTables: 1, maxFlowsPerTable: 200_000 });
  let sent = 0;
  for (const portNo of [1, 2, 3, 4]) dp.addPort({ portNo, name: `p${portNo}`, hwAddr: `02:00:00:00:00:0${portNo}`, send: () => void sent++ });
  const ch = dp.openChannel(() => undefined);
  ch.receive(encode({ type: 'HELLO', xid: 0, version: 4, elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x10] }] }));
  return { dp, install: (b) => ch.receive(b), sent: () => sent };
}

function forwarder(n: number) {
  const { dp, install, sent } = datapath();
  for (let i = 0; i < n; i++) install(encode(flowMod(i)));
  const fs = frames(n);
  const inPorts = fs.map((_, k) => {
    let i = Math.floor((k * 7919) % n);
    if (i % 10 === 0) i = (i + 1) % n;
    return 1 + (i % 4);
  });
  let k = 0;
  return () => {
    dp.receiveFrame(inPorts[k & 255] as number, fs[k & 255] as Uint8Array);
    k++;
    return sent();
  };
}

const baseFrames = frames(10);
let b = 0;
const baseline = measure({ name: 'baseline: parse the frame only', fn: () => parseFrame(baseFrames[b++ & 255] as Uint8Array, key) });

const sizes = [10, 1_000, 10_000, 100_000];
const results = sizes.map((n) => measure({ name: `forward, ${n} flows`, fn: forwarder(n) }));

// FLOW_MOD installation: 100,000 adds, as bytes, into a fresh switch per call
const mods = Array.from({ length: 100_000 }, (_, i) => encode(flowMod(i)));
const install = measure(
  {
    name: 'flow_mod ADD (100,000 as bytes into a channel)',
    opsPerCall: mods.length,
    fn: () => {
      const d = datapath();
      for (const m of mods) d.install(m);
      return d.dp.flows.table(0)!.activeCount;
    },
  },
  { batches: 3, batchMs: 500, warmupMs: 500 },
);
if (install.opsPerSec > 0 && datapath().dp.flows.table(0)!.activeCount !== 0) throw new Error('fresh switch not empty');

const small = results[0]!;
const big = results[3]!;
console.log(
  formatReport('@rumpflow/openflow-switch (operations per second)', [...results, install], baseline, {
    'forward, 10 flows': 300_000,
    'flow_mod ADD (100,000 as bytes into a channel)': 100_000,
  }),
);
const ratio = big.opsPerSec / small.opsPerSec;
console.log(`100,000-flow rate / 10-flow rate: ${(ratio * 100).toFixed(1)}% (target >= 80%: ${ratio >= 0.8 ? 'met' : 'MISSED'})`);
