// Codec benchmarks: decode and encode rates for PACKET_IN with a 64-byte frame, FLOW_MOD with
// a five-field match and two actions, and a MULTIPART FLOW reply with 100 entries. The
// baseline, measured in the same run, is copying the PACKET_IN bytes (Buffer.from), so
// figures compare across machines. Target: 1,000,000 PACKET_IN decodes/s.
import { formatReport, measure } from '@rumpflow/bench';
import { decode, encode, type Message } from '@rumpflow/openflow';

const frame = new Uint8Array(64).map((_, i) => (i * 7) & 0xff);

const packetIn: Message = {
  type: 'PACKET_IN',
  xid: 0,
  bufferId: 0xffffffff,
  totalLen: 64,
  reason: 0,
  tableId: 0,
  cookie: 0n,
  match: [{ field: 'IN_PORT', value: 1 }],
  data: frame,
};

const flowMod: Message = {
  type: 'FLOW_MOD',
  xid: 1,
  cookie: 0x1234n,
  cookieMask: 0n,
  tableId: 0,
  command: 0,
  idleTimeout: 60,
  hardTimeout: 0,
  priority: 100,
  bufferId: 0xffffffff,
  outPort: 0xffffffff,
  outGroup: 0xffffffff,
  flags: 1,
  match: [
    { field: 'IN_PORT', value: 1 },
    { field: 'ETH_TYPE', value: 0x0800 },
    { field: 'IPV4_DST', value: '10.0.0.0', mask: '255.0.0.0' },
    { field: 'IP_PROTO', value: 6 },
    { field: 'TCP_DST', value: 80 },
  ],
  instructions: [
    {
      type: 'APPLY_ACTIONS',
      actions: [
        { type: 'SET_FIELD', field: { field: 'ETH_DST', value: '00:11:22:33:44:55' } },
        { type: 'OUTPUT', port: 2, maxLen: 0 },
      ],
    },
  ],
};

const flowReply: Message = {
  type: 'MULTIPART_REPLY',
  xid: 2,
  mpType: 'FLOW',
  flags: 0,
  stats: Array.from({ length: 100 }, (_, i) => ({
    tableId: 0,
    durationSec: i,
    durationNsec: 0,
    priority: 10,
    idleTimeout: 60,
    hardTimeout: 0,
    flags: 0,
    cookie: BigInt(i),
    packetCount: 1000n,
    byteCount: 64000n,
    match: [
      { field: 'IN_PORT', value: (i % 4) + 1 },
      { field: 'ETH_SRC', value: '00:00:00:00:00:01' },
      { field: 'ETH_DST', value: `00:00:00:00:01:${(i % 256).toString(16).padStart(2, '0')}` },
    ],
    instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 2, maxLen: 0 }] }],
  })),
};

const cases = [
  ['PACKET_IN (64-byte frame)', packetIn],
  ['FLOW_MOD (5-field match, 2 actions)', flowMod],
  ['MULTIPART FLOW reply (100 entries)', flowReply],
] as const;

const baselineBytes = encode(packetIn);
const baseline = measure({ name: 'baseline: copy PACKET_IN bytes', fn: () => Buffer.from(baselineBytes) });
const results = cases.flatMap(([name, m]) => {
  const bytes = encode(m);
  return [
    measure({ name: `decode ${name}`, fn: () => decode(bytes) }),
    measure({ name: `encode ${name}`, fn: () => encode(m) }),
  ];
});
console.log(
  formatReport('@rumpflow/openflow codec (operations per second, median of 7 batches)', results, baseline, {
    'decode PACKET_IN (64-byte frame)': 1_000_000,
  }),
);
