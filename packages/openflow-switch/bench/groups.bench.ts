// Group and meter benchmarks, through the Datapath as a driver uses it (receiveFrame ->
// pipeline -> actions -> port send), with everything installed as OpenFlow bytes through a
// controller channel:
//   - baseline: in_port=1 actions=output:2 (plain OUTPUT), in the same run;
//   - a SELECT group of 4 buckets (weighted rendezvous hash over the flow's L2/L3/L4 fields)
//     fed 256 distinct TCP flows;
//   - a 10 Mbit/s DROP meter (kbps, on the wall clock) in front of output:2: packets/s through
//     the meter instruction, and what it passes and drops over one second of offered load.
import { type BenchResult, formatReport } from '@rumpflow/bench';
import {
  type Action,
  type Instruction,
  type Message,
  OFPG,
  OFPGT,
  OFPMF,
  OFPP,
  encode,
  flowMod,
  type UnsentMessage,
} from '@rumpflow/openflow';
import { buildTcp } from '@rumpflow/packet';
import { Datapath } from '@rumpflow/openflow-switch';

const out = (port: number): Action => ({ type: 'OUTPUT', port, maxLen: 0 });

const fromPort1 = (instructions: Instruction[]): UnsentMessage =>
  flowMod({ priority: 10, match: [{ field: 'IN_PORT', value: 1 }], instructions });

/** A datapath with ports 1..5 counting what they send, set up by `messages`. */
function datapath(messages: UnsentMessage[]): { dp: Datapath; sent: number[] } {
  const dp = new Datapath({ datapathId: 1n, now: () => performance.now(), nTables: 1 });
  const sent = [0, 0, 0, 0, 0, 0];
  for (const portNo of [1, 2, 3, 4, 5])
    dp.addPort({
      portNo,
      name: `p${portNo}`,
      hwAddr: `02:00:00:00:00:0${portNo}`,
      send: () => void sent[portNo]!++,
    });
  const errors: string[] = [];
  const ch = dp.openChannel((b) => {
    if (b[1] === 1) errors.push(`ERROR ${b[9]}/${b[11]}`); // OFPT_ERROR
  });
  let xid = 1;
  for (const m of [
    { type: 'HELLO', version: 4, elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x10] }] } as UnsentMessage,
    ...messages,
  ])
    ch.receive(encode({ ...m, xid: xid++ } as Message));
  if (errors.length > 0) throw new Error(`set-up refused: ${errors.join(', ')}`);
  return { dp, sent };
}

/** 256 distinct TCP flows (addresses and ports vary), 100-byte frames. */
const frames = Array.from({ length: 256 }, (_, i) =>
  buildTcp({
    flags: 0x10,
    seq: 1,
    ack: 1,
    srcMac: `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`,
    dstMac: '02:00:00:00:00:02',
    src: `10.0.${i >> 4}.${i & 15}`,
    dst: '10.9.9.9',
    srcPort: 1024 + i,
    dstPort: 80,
    payload: new Uint8Array(100 - 54),
  }),
);
if (frames[0]!.length !== 100) throw new Error(`frames of ${frames[0]!.length} bytes`);

function forwarder(dp: Datapath): () => number {
  let k = 0;
  return () => {
    dp.receiveFrame(1, frames[k++ & 255] as Uint8Array);
    return k;
  };
}

const plain = datapath([fromPort1([{ type: 'APPLY_ACTIONS', actions: [out(2)] }])]);
const select = datapath([
  {
    type: 'GROUP_MOD',
    command: 0,
    groupType: OFPGT.SELECT,
    groupId: 1,
    buckets: [2, 3, 4, 5].map((p) => ({
      weight: 1,
      watchPort: OFPP.ANY,
      watchGroup: OFPG.ANY,
      actions: [out(p)],
    })),
  } as UnsentMessage,
  fromPort1([{ type: 'APPLY_ACTIONS', actions: [{ type: 'GROUP', groupId: 1 }] }]),
]);
const metered = datapath([
  {
    type: 'METER_MOD',
    command: 0,
    flags: OFPMF.KBPS,
    meterId: 1,
    bands: [{ type: 'DROP', rate: 10_000, burstSize: 0 }],
  } as UnsentMessage,
  fromPort1([
    { type: 'METER', meterId: 1 },
    { type: 'APPLY_ACTIONS', actions: [out(2)] },
  ]),
]);

// The machine is shared and its load changes within seconds: the cases run in short slices,
// interleaved in rounds with the order rotating, and each figure is the median of its slices.
const ROUNDS = 15;
const SLICE_MS = 40;
const clock = () => Number(process.hrtime.bigint()) / 1e6;
const cases = [
  { name: 'baseline: in_port=1 actions=output:2', fn: forwarder(plain.dp) },
  { name: 'SELECT group of 4 buckets, 256 flows', fn: forwarder(select.dp) },
  { name: 'meter 10 Mbit/s (drop band) + output', fn: forwarder(metered.dp) },
].map((c) => ({ ...c, calls: 1024, rates: [] as number[] }));
for (const c of cases) {
  // warm up and size a slice
  for (const end = clock() + 400; clock() < end;) {
    const t0 = clock();
    for (let i = 0; i < c.calls; i++) c.fn();
    if (clock() - t0 < SLICE_MS) c.calls *= 2;
  }
}
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < cases.length; k++) {
    const c = cases[(k + r) % cases.length]!;
    const t0 = clock();
    for (let i = 0; i < c.calls; i++) c.fn();
    c.rates.push((c.calls * 1000) / Math.max(clock() - t0, 1e-6));
  }
}
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const [baseline, ...results] = cases.map((c): BenchResult => ({
  name: c.name,
  opsPerSec: median(c.rates),
  nsPerOp: 1e9 / median(c.rates),
  batches: ROUNDS,
})) as [BenchResult, ...BenchResult[]];

// The SELECT spread over the measurement, per bucket.
const spread = select.sent.slice(2, 6);
const total = spread.reduce((s, n) => s + n, 0);

// What the meter passes and drops: one second of load as fast as the switch takes it.
const run = forwarder(metered.dp);
// drain the bucket first (its burst, 100 ms of the rate, would add 1 Mbit to the second)
for (const end = performance.now() + 300; performance.now() < end;) for (let i = 0; i < 1000; i++) run();
const passedBefore = metered.sent[2]!;
const t0 = performance.now();
let offered = 0;
while (performance.now() - t0 < 1000) {
  for (let i = 0; i < 1000; i++) run();
  offered += 1000;
}
const seconds = (performance.now() - t0) / 1000;
const passed = metered.sent[2]! - passedBefore;
const mbit = (n: number) => ((n * 100 * 8) / seconds / 1e6).toFixed(2);

console.log(
  formatReport('@rumpflow/openflow-switch groups and meters (packets per second)', results, baseline),
);
console.log(
  `SELECT spread over ${total} packets: ${spread.map((n) => `${((n / total) * 100).toFixed(1)}%`).join(' ')}`,
);
console.log(
  `meter 10 Mbit/s, 100-byte frames offered at ${(offered / seconds / 1e3).toFixed(0)}k pkt/s (${mbit(offered)} Mbit/s) for ${seconds.toFixed(2)} s: ` +
    `passed ${(passed / seconds).toFixed(0)} pkt/s = ${mbit(passed)} Mbit/s, dropped ${((offered - passed) / seconds / 1e3).toFixed(0)}k pkt/s`,
);
