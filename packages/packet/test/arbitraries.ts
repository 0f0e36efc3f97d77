// fast-check arbitraries: random frames from the builders, and random set-field actions
// whose values follow @rumpflow/openflow's OXM table (kind and width of each field).
import { OXM_FIELDS, type OxmFieldName } from '@rumpflow/openflow';
import fc from 'fast-check';
import {
  buildArp,
  buildIcmpEcho,
  buildIcmpv6Echo,
  buildNdAdvert,
  buildNdSolicit,
  buildPbb,
  buildSctp,
  buildTcp,
  buildUdp,
  type Ipv6Ext,
  type L2Options,
  type VlanTag,
} from '../src/build.js';

export const arbMac = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':'));

const arbTag: fc.Arbitrary<VlanTag> = fc.record({ vid: fc.nat(4095), pcp: fc.nat(7), dei: fc.boolean() });

const arbL2: fc.Arbitrary<L2Options> = fc.record(
  {
    srcMac: arbMac,
    dstMac: arbMac,
    vlan: fc.oneof(fc.constant(undefined), arbTag, fc.array(arbTag, { minLength: 2, maxLength: 2 })),
    padTo: fc.constantFrom(undefined, 60),
  },
  { requiredKeys: ['srcMac', 'dstMac'] },
) as fc.Arbitrary<L2Options>;

const arbMpls = fc.array(fc.record({ label: fc.nat(0xfffff), tc: fc.nat(7), ttl: fc.nat(255) }), {
  minLength: 1,
  maxLength: 3,
});

const arbExt: fc.Arbitrary<Ipv6Ext[]> = fc
  .subarray(['hop', 'dest', 'routing', 'fragment', 'ah'] as const)
  .map((types) =>
    types.map((type): Ipv6Ext => (type === 'routing' ? { type, data: new Uint8Array(16) } : { type })),
  );

const arbIp = fc.oneof(
  fc.record({
    src: fc.ipV4(),
    dst: fc.ipV4(),
    ttl: fc.nat(255),
    dscp: fc.nat(63),
    ecn: fc.nat(3),
    ipv6: fc.constant(false),
  }),
  fc.record({
    src: fc.ipV6(),
    dst: fc.ipV6(),
    ttl: fc.nat(255),
    dscp: fc.nat(63),
    ecn: fc.nat(3),
    flowLabel: fc.nat(0xfffff),
    ext: arbExt,
    ipv6: fc.constant(true),
  }),
);

const port = fc.nat(0xffff);
const bytes = fc.uint8Array({ maxLength: 64 });

/** A random valid frame of any kind the builders make, checksums filled. */
export const arbFrame: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .record({
      l2: arbL2,
      ip: arbIp,
      sp: port,
      dp: port,
      flags: fc.nat(0x1ff),
      seq: fc.nat(),
      ack: fc.nat(),
      payload: bytes,
    })
    .map((r) =>
      buildTcp({
        ...r.l2,
        ...r.ip,
        srcPort: r.sp,
        dstPort: r.dp,
        flags: r.flags,
        seq: r.seq,
        ack: r.ack,
        payload: r.payload,
      }),
    ),
  fc
    .record({ l2: arbL2, ip: arbIp, sp: port, dp: port, payload: bytes, none: fc.boolean() })
    .map((r) =>
      buildUdp({ ...r.l2, ...r.ip, srcPort: r.sp, dstPort: r.dp, payload: r.payload, noChecksum: r.none }),
    ),
  fc
    .record({
      l2: arbL2,
      ip: arbIp,
      sp: port,
      dp: port,
      payload: fc.uint8Array({ minLength: 1, maxLength: 40 }),
    })
    .map((r) => buildSctp({ ...r.l2, ...r.ip, srcPort: r.sp, dstPort: r.dp, payload: r.payload })),
  fc
    .record({
      l2: arbL2,
      src: fc.ipV4(),
      dst: fc.ipV4(),
      reply: fc.boolean(),
      id: port,
      seq: port,
      payload: bytes,
    })
    .map((r) => buildIcmpEcho({ ...r.l2, ...r, type: r.reply ? 'reply' : 'request' })),
  fc
    .record({
      l2: arbL2,
      src: fc.ipV6(),
      dst: fc.ipV6(),
      ext: arbExt,
      reply: fc.boolean(),
      id: port,
      seq: port,
      payload: bytes,
    })
    .map((r) => buildIcmpv6Echo({ ...r.l2, ...r, type: r.reply ? 'reply' : 'request' })),
  fc
    .record({ l2: arbL2, src: fc.ipV6(), target: fc.ipV6(), sll: fc.option(arbMac, { nil: null }) })
    .map((r) => buildNdSolicit({ ...r.l2, src: r.src, target: r.target, sll: r.sll })),
  fc
    .record({
      l2: arbL2,
      src: fc.ipV6(),
      dst: fc.ipV6(),
      target: fc.ipV6(),
      tll: fc.option(arbMac, { nil: null }),
    })
    .map((r) => buildNdAdvert({ ...r.l2, src: r.src, dst: r.dst, target: r.target, tll: r.tll })),
  fc
    .record({ l2: arbL2, op: fc.nat(0xffff), sha: arbMac, tha: arbMac, spa: fc.ipV4(), tpa: fc.ipV4() })
    .map((r) => buildArp({ ...r.l2, ...r })),
  fc
    .record({ l2: arbL2, ip: arbIp, mpls: arbMpls, sp: port, dp: port, payload: bytes })
    .map((r) =>
      buildUdp({ ...r.l2, ...r.ip, mpls: r.mpls, srcPort: r.sp, dstPort: r.dp, payload: r.payload }),
    ),
  fc
    .record({
      b: arbL2,
      isid: fc.nat(0xffffff),
      pcp: fc.nat(7),
      sp: port,
      dp: port,
      src: fc.ipV4(),
      dst: fc.ipV4(),
      l2: arbL2,
    })
    .map((r) =>
      buildPbb({
        bDst: r.b.dstMac,
        bSrc: r.b.srcMac,
        ...(r.b.vlan === undefined ? {} : { bVlan: r.b.vlan }),
        isid: r.isid,
        pcp: r.pcp,
        inner: buildUdp({ ...r.l2, src: r.src, dst: r.dst, srcPort: r.sp, dstPort: r.dp }),
      }),
    ),
);

/** Fields whose rewrite re-interprets the frame (so its checksums need not hold): tested one by one instead. */
const REINTERPRETING = new Set<OxmFieldName>(['IP_PROTO', 'ETH_TYPE', 'MPLS_BOS']);

/** A random value for an OXM field, as @rumpflow/openflow's OXM objects hold it. */
export function arbOxmValue(field: OxmFieldName): fc.Arbitrary<unknown> {
  const def = OXM_FIELDS[field];
  switch (def.kind) {
    case 'mac':
      return arbMac;
    case 'ipv4':
      return fc.ipV4();
    case 'ipv6':
      return fc.ipV6();
    case 'u64':
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    default:
      return def.bits >= 32 ? fc.nat() : fc.nat(2 ** def.bits - 1);
  }
}

export const SET_FIELDS = (Object.keys(OXM_FIELDS) as OxmFieldName[]).filter(
  (f) => OXM_FIELDS[f].settable && !REINTERPRETING.has(f),
);

/** A random set-field action on a field that keeps the frame's structure. */
export const arbSetField: fc.Arbitrary<[OxmFieldName, unknown]> = fc
  .constantFrom(...SET_FIELDS)
  .chain((f) => arbOxmValue(f).map((v) => [f, v] as [OxmFieldName, unknown]));
