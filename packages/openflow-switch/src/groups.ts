// The group table (OpenFlow 1.3.5 sections 5.6 and 6.5): GROUP_MOD add/modify/delete, the four
// group types, chaining, liveness, and the GROUP, GROUP_DESC and GROUP_FEATURES figures.
//
// - ALL runs every bucket on its own copy of the packet; INDIRECT its one bucket; SELECT one
//   bucket chosen by weighted rendezvous hashing over the packet's L2, L3 and L4 fields (each
//   live bucket of non-zero weight scores -ln(u)/weight for a u drawn from hash(flow, bucket);
//   the lowest score wins; with equal weights simply the highest u, no logarithm). One flow
//   therefore always lands on the same bucket, flows spread in proportion to the weights, and
//   a bucket going dead moves only its own flows. FAST_FAILOVER runs the first live bucket.
// - A bucket's actions are an action set (1.3.5 section 5.6.1): run in the set's order.
// - A bucket is live when its watch_port (if any) is up with its link up and its watch_group
//   (if any) is live; a group is live when one of its buckets is. SELECT honours liveness too
//   (OFPGFC_SELECT_LIVENESS); ALL and INDIRECT buckets may not watch (WATCH_UNSUPPORTED).
// - Chaining: a bucket may send to another group (GROUP action) and a fast-failover bucket
//   may watch one. Both kinds of reference must name an existing group, may not close a cycle
//   (LOOP) and may not make a chain longer than `maxChainDepth` groups (CHAINING_UNSUPPORTED);
//   a group another group forwards to or watches cannot be deleted (CHAINED_GROUP) unless all
//   groups go at once (OFPG_ALL).
// - Buckets whose actions only forward (OUTPUT, GROUP) run on the packet itself; the others on
//   an independent copy (the host's executeOnCopy), so a group never changes the packet the
//   rest of the action list sees.
// - MODIFY replaces type and buckets: the group keeps its counters and duration, the new
//   buckets start at zero. WEIGHT_UNSUPPORTED never applies: every weight 0..65535 is
//   supported (0: the bucket is never selected).
// - A GROUP statistics request for a group that does not exist gets an empty reply, as Open
//   vSwitch answers.

import {
  type Action,
  type Bucket,
  type GroupDesc,
  type GroupMod,
  type GroupStats,
  OFPAT,
  OFPG,
  OFPGC,
  OFPGFC,
  OFPGT,
  OFPP,
  OFPPC,
  OFPPS,
  OFPTT,
  type OfpError,
  groupDesc as groupDescCodec,
  ofpError,
} from '@rumpflow/openflow';
import type { FlowKey } from '@rumpflow/packet';
import { type ActionHost, executeList, inSetOrder } from './actions.js';
import type { FlowFilter, FlowTables, Removal } from './flow-table.js';
import type { Packet } from './packet-context.js';
import type { SwitchPort } from './ports.js';

export interface GroupLimits {
  /** Groups of each type (GROUP_FEATURES max_groups), default 4096. */
  readonly maxGroups?: number;
  /** Buckets per group, 1..4092, default 64. */
  readonly maxBuckets?: number;
  /** Groups in a chain (a group forwarding to or watching a group...), default 4. */
  readonly maxChainDepth?: number;
}

/** What running a group needs from the datapath: the action executor's host and the ports. */
export interface GroupHost extends ActionHost {
  port(portNo: number): SwitchPort | undefined;
}

/** Most buckets a GROUP stats reply of one group can carry: (65535 - 16 - 40) / 16. */
const MAX_BUCKETS = 4092;

class GroupBucket {
  readonly weight: number;
  readonly watchPort: number;
  readonly watchGroup: number;
  readonly actions: readonly Action[];
  /** Some action changes the packet: run on a copy. */
  readonly mutates: boolean;
  /** Groups its GROUP actions forward to. */
  readonly forwardsTo: readonly number[];
  packetCount = 0;
  byteCount = 0;
  /** Rendezvous-hash seed (the bucket's position). */
  readonly seed: number;

  constructor(
    readonly desc: Bucket,
    index: number,
  ) {
    this.weight = desc.weight;
    this.watchPort = desc.watchPort;
    this.watchGroup = desc.watchGroup;
    // A bucket holds an action set (1.3.5 section 5.6.1): run in the set's order.
    this.actions = inSetOrder(desc.actions);
    this.mutates = this.actions.some((a) => a.type !== 'OUTPUT' && a.type !== 'GROUP');
    this.forwardsTo = [...new Set(desc.actions.flatMap((a) => (a.type === 'GROUP' ? [a.groupId] : [])))];
    this.seed = Math.imul(index + 1, 0x9e3779b1);
  }

  /** Groups referenced: forwarded to and watched. */
  references(): number[] {
    return this.watchGroup !== OFPG.ANY ? [...this.forwardsTo, this.watchGroup] : [...this.forwardsTo];
  }
}

export class Group {
  packetCount = 0;
  byteCount = 0;
  /** Every bucket has the same weight: SELECT needs no logarithms. */
  uniform = true;

  constructor(
    readonly groupId: number,
    public groupType: number,
    public buckets: GroupBucket[],
    readonly createdAt: number,
  ) {
    this.reweigh();
  }

  reweigh(): void {
    this.uniform = this.buckets.every((b) => b.weight === this.buckets[0]?.weight);
  }

  /** Every group this one forwards to or watches. */
  references(): number[] {
    return [...new Set(this.buckets.flatMap((b) => b.references()))];
  }

  /** Groups it forwards to (GROUP actions): what ref_count counts. */
  forwards(): number[] {
    return [...new Set(this.buckets.flatMap((b) => b.forwardsTo))];
  }
}

/** A port is live for fast failover: attached, not administratively down, link up. */
export function portLive(p: SwitchPort | undefined): boolean {
  return p !== undefined && (p.config & OFPPC.PORT_DOWN) === 0 && (p.state & OFPPS.LINK_DOWN) === 0;
}

// ---------------------------------------------------------------------------------------
// The SELECT hash: murmur3-style mixing of the flow's L2/L3/L4 fields (allocation free).

function mix(h: number, v: number): number {
  let k = Math.imul(v, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO32 = 4294967296;

/** A flow filter selecting every entry of every table. */
export const EVERY_FLOW: FlowFilter = {
  tableId: OFPTT.ALL,
  match: [],
  outPort: OFPP.ANY,
  outGroup: OFPG.ANY,
  cookie: 0n,
  cookieMask: 0n,
};

/** A 32-bit hash of the packet's Ethernet, VLAN, IP and transport fields. */
export function flowHash(k: FlowKey): number {
  // MACs are 48-bit numbers: low 32 bits each, then both high 16-bit halves in one word.
  let h = 0x2545f491;
  h = mix(h, k.ethSrc >>> 0);
  h = mix(h, k.ethDst >>> 0);
  h = mix(h, (((k.ethSrc / TWO32) & 0xffff) << 16) | ((k.ethDst / TWO32) & 0xffff));
  h = mix(h, ((k.ethType << 16) | (k.vlanVid & 0x1fff)) ^ (k.ipProto << 13));
  // IPv4 addresses, or IPv6 ones folded to 32 bits (the other family's fields are zero)
  h = mix(h, k.ipv4Src ^ k.ipv6Src0 ^ k.ipv6Src1 ^ k.ipv6Src2 ^ k.ipv6Src3);
  h = mix(h, k.ipv4Dst ^ k.ipv6Dst0 ^ k.ipv6Dst1 ^ k.ipv6Dst2 ^ k.ipv6Dst3);
  h = mix(h, (k.tpSrc << 16) | (k.tpDst & 0xffff));
  return fmix(h);
}

// ---------------------------------------------------------------------------------------

export class GroupTable {
  readonly maxGroups: number;
  readonly maxBuckets: number;
  readonly maxChainDepth: number;
  private readonly groups = new Map<number, Group>();

  constructor(
    private readonly now: () => number,
    limits: GroupLimits = {},
  ) {
    this.maxGroups = limits.maxGroups ?? 4096;
    this.maxBuckets = limits.maxBuckets ?? 64;
    this.maxChainDepth = limits.maxChainDepth ?? 4;
    // a GROUP stats entry (40 bytes and 16 a bucket) must fit in one multipart reply
    if (!Number.isInteger(this.maxBuckets) || this.maxBuckets < 1 || this.maxBuckets > MAX_BUCKETS)
      throw new RangeError(`group limits: maxBuckets 1..${MAX_BUCKETS}`);
  }

  get size(): number {
    return this.groups.size;
  }

  has(groupId: number): boolean {
    return this.groups.has(groupId);
  }

  get(groupId: number): Group | undefined {
    return this.groups.get(groupId);
  }

  /**
   * Apply a validated GROUP_MOD. `checkActions` refuses bucket actions the switch cannot
   * execute (the same check FLOW_MOD's actions pass). Returns the flow entries a DELETE
   * removed (reason GROUP_DELETE); throws an OfpError.
   */
  apply(
    m: GroupMod,
    flows: FlowTables,
    checkActions: (actions: readonly Action[]) => OfpError | undefined,
  ): Removal[] {
    switch (m.command) {
      case OFPGC.ADD:
        if (this.groups.has(m.groupId))
          throw ofpError('GROUP_MOD_FAILED', 'GROUP_EXISTS', `group ${m.groupId} exists`);
        this.install(m, checkActions, undefined);
        return [];
      case OFPGC.MODIFY: {
        const g = this.groups.get(m.groupId);
        if (g === undefined)
          throw ofpError('GROUP_MOD_FAILED', 'UNKNOWN_GROUP', `group ${m.groupId} does not exist`);
        this.install(m, checkActions, g);
        return [];
      }
      case OFPGC.DELETE:
        return this.delete(m.groupId, flows);
      default:
        throw ofpError('GROUP_MOD_FAILED', 'BAD_COMMAND', `command ${m.command}`);
    }
  }

  private install(
    m: GroupMod,
    checkActions: (actions: readonly Action[]) => OfpError | undefined,
    existing: Group | undefined,
  ): void {
    const id = m.groupId;
    if (m.groupType > OFPGT.FF) throw ofpError('GROUP_MOD_FAILED', 'BAD_TYPE', `group type ${m.groupType}`);
    if (m.groupType === OFPGT.INDIRECT && m.buckets.length !== 1)
      throw ofpError('GROUP_MOD_FAILED', 'BAD_BUCKET', 'an indirect group has exactly one bucket');
    if (existing === undefined || existing.groupType !== m.groupType) {
      let ofType = 0;
      for (const g of this.groups.values()) if (g.groupType === m.groupType) ofType++;
      if (ofType >= this.maxGroups)
        throw ofpError(
          'GROUP_MOD_FAILED',
          'OUT_OF_GROUPS',
          `${this.maxGroups} groups of type ${m.groupType}`,
        );
    }
    if (m.buckets.length > this.maxBuckets)
      throw ofpError('GROUP_MOD_FAILED', 'OUT_OF_BUCKETS', `at most ${this.maxBuckets} buckets per group`);
    // its GROUP_DESC entry must fit in one multipart reply (16 bytes of headers)
    const descLen = groupDescCodec.size({ groupType: m.groupType, groupId: id, buckets: m.buckets });
    if (descLen > 0xffff - 16)
      throw ofpError(
        'BAD_REQUEST',
        'BAD_LEN',
        `the group would take ${descLen} bytes in a GROUP_DESC reply: at most ${0xffff - 16}`,
      );
    const buckets = m.buckets.map((b, i) => new GroupBucket(b, i));
    for (const b of buckets) this.checkBucket(id, m.groupType, b, checkActions);
    // Cycles and chain length, over forwarding and watch references alike.
    const refs = [...new Set(buckets.flatMap((b) => b.references()))];
    for (const r of refs) {
      if (this.reaches(r, id))
        throw ofpError('GROUP_MOD_FAILED', 'LOOP', `group ${r} leads back to group ${id}`);
    }
    const below = refs.reduce((d, r) => Math.max(d, this.heightBelow(r)), 0);
    const above = existing !== undefined ? this.heightAbove(id) : 0;
    if (above + 1 + below > this.maxChainDepth) {
      throw ofpError(
        'GROUP_MOD_FAILED',
        'CHAINING_UNSUPPORTED',
        `a chain of ${above + 1 + below} groups: at most ${this.maxChainDepth}`,
      );
    }
    if (existing !== undefined) {
      existing.groupType = m.groupType;
      existing.buckets = buckets;
      existing.reweigh();
    } else this.groups.set(id, new Group(id, m.groupType, buckets, this.now()));
  }

  private checkBucket(
    id: number,
    type: number,
    b: GroupBucket,
    checkActions: (actions: readonly Action[]) => OfpError | undefined,
  ): void {
    const watches = b.watchPort !== OFPP.ANY || b.watchGroup !== OFPG.ANY;
    if (watches && (type === OFPGT.ALL || type === OFPGT.INDIRECT))
      throw ofpError('GROUP_MOD_FAILED', 'WATCH_UNSUPPORTED', 'only fast-failover and select buckets watch');
    if (type === OFPGT.FF && !watches)
      throw ofpError('GROUP_MOD_FAILED', 'BAD_WATCH', 'a fast-failover bucket watches a port or a group');
    if (type !== OFPGT.SELECT && b.weight !== 0)
      throw ofpError('GROUP_MOD_FAILED', 'BAD_BUCKET', 'bucket weight outside a select group');
    if (b.watchPort !== OFPP.ANY && b.watchPort > OFPP.MAX && b.watchPort !== OFPP.LOCAL)
      throw ofpError(
        'GROUP_MOD_FAILED',
        'BAD_WATCH',
        `watch_port 0x${b.watchPort.toString(16)} is not a port`,
      );
    if (b.watchGroup !== OFPG.ANY) {
      if (b.watchGroup === id) throw ofpError('GROUP_MOD_FAILED', 'LOOP', `group ${id} watches itself`);
      if (!this.groups.has(b.watchGroup))
        throw ofpError('GROUP_MOD_FAILED', 'BAD_WATCH', `watch_group ${b.watchGroup} does not exist`);
    }
    for (const g of b.forwardsTo)
      if (g === id) throw ofpError('GROUP_MOD_FAILED', 'LOOP', `group ${id} forwards to itself`);
    const bad = checkActions(b.desc.actions);
    if (bad) throw bad;
  }

  /** Does a path of references lead from `from` to `to`? */
  private reaches(from: number, to: number): boolean {
    const seen = new Set<number>();
    const stack = [from];
    while (stack.length > 0) {
      const g = stack.pop() as number;
      if (g === to) return true;
      if (seen.has(g)) continue;
      seen.add(g);
      const grp = this.groups.get(g);
      if (grp) stack.push(...grp.references());
    }
    return false;
  }

  /** Groups in the longest chain starting at `id` (itself included). The graph is acyclic. */
  private heightBelow(id: number): number {
    const g = this.groups.get(id);
    if (g === undefined) return 0;
    return 1 + g.references().reduce((d, r) => Math.max(d, this.heightBelow(r)), 0);
  }

  /** Groups in the longest chain ending just above `id` (itself excluded). */
  private heightAbove(id: number): number {
    let best = 0;
    for (const g of this.groups.values())
      if (g.references().includes(id)) best = Math.max(best, 1 + this.heightAbove(g.groupId));
    return best;
  }

  private delete(groupId: number, flows: FlowTables): Removal[] {
    if (groupId === OFPG.ALL) {
      const out: Removal[] = [];
      for (const id of [...this.groups.keys()]) out.push(...flows.removeForGroup(id));
      this.groups.clear();
      return out;
    }
    if (!this.groups.has(groupId)) return []; // deleting what does not exist: no error
    for (const g of this.groups.values()) {
      if (g.references().includes(groupId)) {
        throw ofpError(
          'GROUP_MOD_FAILED',
          'CHAINED_GROUP',
          `group ${g.groupId} forwards to or watches group ${groupId}`,
        );
      }
    }
    this.groups.delete(groupId);
    return flows.removeForGroup(groupId);
  }

  // -------------------------------------------------------------------------------------
  // Packets

  /** Is the group live (one of its buckets is)? */
  live(groupId: number, host: GroupHost): boolean {
    const g = this.groups.get(groupId);
    if (g === undefined) return false;
    for (const b of g.buckets) if (this.bucketLive(b, host)) return true;
    return false;
  }

  private bucketLive(b: GroupBucket, host: GroupHost): boolean {
    if (b.watchPort !== OFPP.ANY && !portLive(host.port(b.watchPort))) return false;
    return b.watchGroup === OFPG.ANY || this.live(b.watchGroup, host);
  }

  /** The GROUP action: run the group on the packet. Unknown groups drop (cannot happen: refused at install). */
  execute(pkt: Packet, groupId: number, host: GroupHost): void {
    const g = this.groups.get(groupId);
    if (g === undefined) return;
    const bytes = pkt.frame.length;
    g.packetCount++;
    g.byteCount += bytes;
    switch (g.groupType) {
      case OFPGT.ALL:
        for (const b of g.buckets) this.run(b, pkt, bytes, host);
        return;
      case OFPGT.INDIRECT: {
        const b = g.buckets[0];
        if (b !== undefined) this.run(b, pkt, bytes, host);
        return;
      }
      case OFPGT.FF:
        for (const b of g.buckets) {
          if (this.bucketLive(b, host)) {
            this.run(b, pkt, bytes, host);
            return;
          }
        }
        return; // no live bucket: dropped
      default: {
        const b = this.select(g, pkt, host);
        if (b !== undefined) this.run(b, pkt, bytes, host);
      }
    }
  }

  /** SELECT: weighted rendezvous over the live buckets of non-zero weight. */
  private select(g: Group, pkt: Packet, host: GroupHost): GroupBucket | undefined {
    const h = flowHash(pkt.key);
    let best: GroupBucket | undefined;
    let bestScore = Infinity;
    for (const b of g.buckets) {
      if (b.weight === 0) continue;
      if ((b.watchPort !== OFPP.ANY || b.watchGroup !== OFPG.ANY) && !this.bucketLive(b, host)) continue;
      const u = (fmix(mix(h, b.seed)) + 0.5) / TWO32; // (0, 1)
      // -ln(u) falls as u grows: with equal weights the highest u wins, no logarithm needed
      const score = g.uniform ? 1 - u : -Math.log(u) / b.weight;
      if (score < bestScore) {
        bestScore = score;
        best = b;
      }
    }
    return best;
  }

  private run(b: GroupBucket, pkt: Packet, bytes: number, host: GroupHost): void {
    b.packetCount++;
    b.byteCount += bytes;
    // A PACKET_IN from a bucket has no flow entry to name: cookie all ones (1.3.5 section 7.4.1).
    const detached = pkt.detached;
    pkt.detached = true;
    if (b.mutates) host.executeOnCopy(pkt, b.actions);
    else executeList(b.actions, pkt, host);
    pkt.detached = detached;
  }

  // -------------------------------------------------------------------------------------
  // Statistics

  /** GROUP statistics of one group (or OFPG_ALL), with ref_count from the flow tables. */
  stats(groupId: number, flows: FlowTables): GroupStats[] {
    const selected =
      groupId === OFPG.ALL
        ? [...this.groups.values()]
        : [this.groups.get(groupId)].filter((g) => g !== undefined);
    if (selected.length === 0) return [];
    const refs = this.refCounts(flows);
    const now = this.now();
    return selected
      .sort((a, b) => a.groupId - b.groupId)
      .map((g) => {
        const d = Math.max(0, now - g.createdAt);
        const sec = Math.floor(d / 1000);
        return {
          groupId: g.groupId,
          refCount: refs.get(g.groupId) ?? 0,
          packetCount: BigInt(g.packetCount),
          byteCount: BigInt(g.byteCount),
          durationSec: sec,
          durationNsec: Math.min(999_999_999, Math.round((d - sec * 1000) * 1e6)),
          bucketStats: g.buckets.map((b) => ({
            packetCount: BigInt(b.packetCount),
            byteCount: BigInt(b.byteCount),
          })),
        };
      });
  }

  /** Flow entries and groups forwarding to each group (each referrer counted once). */
  private refCounts(flows: FlowTables): Map<number, number> {
    const refs = new Map<number, number>();
    const bump = (id: number) => refs.set(id, (refs.get(id) ?? 0) + 1);
    for (const e of flows.select(EVERY_FLOW)) {
      const ids = new Set<number>();
      for (const i of e.instructions)
        if (i.type === 'APPLY_ACTIONS' || i.type === 'WRITE_ACTIONS')
          for (const a of i.actions) if (a.type === 'GROUP') ids.add(a.groupId);
      for (const id of ids) bump(id);
    }
    for (const g of this.groups.values()) for (const id of g.forwards()) bump(id);
    return refs;
  }

  /** GROUP_DESC: every group, in id order. */
  desc(): GroupDesc[] {
    return [...this.groups.values()]
      .sort((a, b) => a.groupId - b.groupId)
      .map((g) => ({ groupType: g.groupType, groupId: g.groupId, buckets: g.buckets.map((b) => b.desc) }));
  }

  /** GROUP_FEATURES, for a switch executing `actions` in buckets. */
  features(actions: readonly Action['type'][]): {
    types: number;
    capabilities: number;
    maxGroups: number[];
    actions: number[];
  } {
    let bits = 0;
    for (const t of new Set([...actions, 'GROUP' as const])) if (t !== 'EXPERIMENTER') bits |= 1 << OFPAT[t];
    bits >>>= 0;
    return {
      types: (1 << OFPGT.ALL) | (1 << OFPGT.SELECT) | (1 << OFPGT.INDIRECT) | (1 << OFPGT.FF),
      capabilities: OFPGFC.SELECT_WEIGHT | OFPGFC.SELECT_LIVENESS | OFPGFC.CHAINING | OFPGFC.CHAINING_CHECKS,
      maxGroups: [this.maxGroups, this.maxGroups, this.maxGroups, this.maxGroups],
      actions: [bits, bits, bits, bits],
    };
  }
}
