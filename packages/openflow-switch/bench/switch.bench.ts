// Switch engine benchmarks: forwarding rate through one table holding 10, 1,000, 10,000 and
// 100,000 flows that use a fixed, realistic set of at most 16 distinct masks (learning-switch
// exact matches plus prefix ACLs), and FLOW_MOD installation rate for 100,000 flows.
// Targets: the 100,000-flow rate at least 80% of the 10-flow rate; at least 300,000 packets/s
// with a small table; at least 100,000 flow_mods/s. Baseline in the same run: parsing the
// frame alone (the floor any forwarding pays).
import { formatReport, measure } from '@rumpflow/bench';
import { OFPFC, OFPG, OFPP, type FlowMod, type Match } from '@rumpflow/openflow';
import { FlowKey, buildTcp, parseFrame } from '@rumpflow/packet';
import { FlowTables, SLOTS, keySlots } from '@rumpflow/openflow-switch';

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
const slots = new Uint32Array(SLOTS);

function forwarder(n: number) {
  const ft = new FlowTables(1, 200_000, () => now);
  for (let i = 0; i < n; i++) ft.apply(flowMod(i));
  const t = ft.table(0)!;
  const fs = frames(n);
  const inPorts = fs.map((_, k) => {
    let i = Math.floor((k * 7919) % n);
    if (i % 10 === 0) i = (i + 1) % n;
    return 1 + (i % 4);
  });
  let k = 0;
  let hits = 0;
  return () => {
    const f = fs[k & 255] as Uint8Array;
    key.inPort = inPorts[k & 255] as number;
    k++;
    parseFrame(f, key);
    keySlots(key, slots);
    if (t.lookup(slots, f.length, now) !== undefined) hits++;
    return hits;
  };
}

const baseFrames = frames(10);
let b = 0;
const baseline = measure({ name: 'baseline: parse the frame only', fn: () => parseFrame(baseFrames[b++ & 255] as Uint8Array, key) });

const sizes = [10, 1_000, 10_000, 100_000];
const results = sizes.map((n) => measure({ name: `forward, ${n} flows`, fn: forwarder(n) }));

// FLOW_MOD installation: 100,000 adds into an empty table per call batch
const mods = Array.from({ length: 100_000 }, (_, i) => flowMod(i));
const install = measure(
  {
    name: 'flow_mod ADD (100,000 into an empty table)',
    opsPerCall: mods.length,
    fn: () => {
      const ft = new FlowTables(1, 200_000, () => now);
      for (const m of mods) ft.apply(m);
      return ft.table(0)!.activeCount;
    },
  },
  { batches: 3, batchMs: 500, warmupMs: 500 },
);

const small = results[0]!;
const big = results[3]!;
console.log(
  formatReport('@rumpflow/openflow-switch (operations per second)', [...results, install], baseline, {
    'forward, 10 flows': 300_000,
    'flow_mod ADD (100,000 into an empty table)': 100_000,
  }),
);
const ratio = big.opsPerSec / small.opsPerSec;
console.log(`100,000-flow rate / 10-flow rate: ${(ratio * 100).toFixed(1)}% (target >= 80%: ${ratio >= 0.8 ? 'met' : 'MISSED'})`);
