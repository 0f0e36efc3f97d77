// The meter table (OpenFlow 1.3.5 sections 5.7 and 6.6): METER_MOD add/modify/delete, DROP and
// DSCP_REMARK bands on token buckets driven by the injected clock, and the METER,
// METER_CONFIG and METER_FEATURES figures.
//
// - Each band has its own token bucket, filled at the band's rate: bits for a kbps meter (a
//   frame costs its Ethernet bytes x 8; no FCS, no preamble), packets for a pktps meter. A
//   packet that finds a band's bucket short exceeds that band; otherwise it takes its cost
//   from the bucket. Of the bands a packet exceeds, the one with the highest rate applies
//   (1.3.5 section 5.7.1): DROP drops the packet (the pipeline stops, the action set too),
//   DSCP_REMARK adds prec_level to the drop precedence of the DSCP (bits 1-2, saturating at 3,
//   as for the AF classes of RFC 2597) of IPv4 and IPv6 packets, fixing the IPv4 checksum.
// - Burst: with OFPMF_BURST each band's bucket holds burst_size (kilobits or packets); without
//   it, 100 ms worth of the rate, and at least one 1522-byte frame (or one packet), so a slow
//   meter still passes full-size frames. A meter with neither KBPS nor PKTPS is kbps.
// - Counters are kept always; a meter without OFPMF_STATS reports its packet and byte counts
//   as all ones ("not collected", as flow entries with NO_PKT_COUNTS do). MODIFY keeps the
//   meter's counters and duration; the new bands start full and at zero.
// - Virtual meters: OFPM_CONTROLLER may be configured like any meter and then limits every
//   PACKET_IN the switch generates (before the channels see it); OFPM_SLOWPATH is refused with
//   INVALID_METER: this switch has a single datapath and no slow path to meter.
// - A METER statistics or configuration request for a meter that does not exist is
//   METER_MOD_FAILED/UNKNOWN_METER, as Open vSwitch answers; OFPM_ALL lists every meter.

import {
  type FlowMod,
  type MeterBand,
  type MeterConfig,
  type MeterMod,
  type MeterStats,
  OFP_NO_BUFFER,
  OFPFC,
  OFPG,
  OFPM,
  OFPMBT,
  OFPMC,
  OFPMF,
  OFPP,
  ofpError,
} from '@rumpflow/openflow';
import { setIpDscp } from '@rumpflow/packet';
import type { FlowEntry, FlowTables, Removal } from './flow-table.js';
import { EVERY_FLOW } from './groups.js';
import type { Packet } from './packet-context.js';

export interface MeterLimits {
  /** Meters (METER_FEATURES max_meter), default 4096. */
  readonly maxMeters?: number;
  /** Bands per meter, 1..255, default 8. */
  readonly maxBands?: number;
}

/** Default bucket depth without OFPMF_BURST: this much time at the band's rate... */
export const DEFAULT_BURST_MS = 100;
/** ...and at least one full-size frame (1518 bytes plus a VLAN tag), in bits. */
const MIN_BURST_BITS = 1522 * 8;

const ALL_ONES = 0xffffffffffffffffn;

class Band {
  readonly rate: number;
  /** Bucket depth and fill rate per millisecond, in bits (kbps) or packets (pktps). */
  readonly capacity: number;
  readonly perMs: number;
  readonly drop: boolean;
  /** DSCP_REMARK: drop precedence levels to add. */
  readonly precLevel: number;
  tokens: number;
  packetCount = 0;
  byteCount = 0;

  constructor(
    readonly desc: MeterBand,
    flags: number,
  ) {
    const pktps = (flags & OFPMF.PKTPS) !== 0;
    const burst = (flags & OFPMF.BURST) !== 0;
    this.rate = desc.rate;
    this.perMs = pktps ? desc.rate / 1000 : desc.rate; // kbit/s = bit/ms
    if (burst) this.capacity = pktps ? desc.burstSize : desc.burstSize * 1000;
    else this.capacity = Math.max(this.perMs * DEFAULT_BURST_MS, pktps ? 1 : MIN_BURST_BITS);
    this.tokens = this.capacity;
    this.drop = desc.type === 'DROP';
    this.precLevel = desc.type === 'DSCP_REMARK' ? desc.precLevel : 0;
  }
}

export class Meter {
  packetCount = 0;
  byteCount = 0;
  bands: Band[] = [];
  flags = 0;
  private pktps = false;
  private last: number;

  constructor(
    readonly meterId: number,
    readonly createdAt: number,
  ) {
    this.last = createdAt;
  }

  configure(flags: number, bands: readonly MeterBand[], now: number): void {
    this.flags = flags;
    this.pktps = (flags & OFPMF.PKTPS) !== 0;
    this.bands = bands.map((b) => new Band(b, flags));
    this.last = now;
  }

  /** Meter one packet of `bytes` Ethernet bytes: the band that applies, or undefined. */
  measure(bytes: number, now: number): Band | undefined {
    const dt = now - this.last;
    if (dt > 0) this.last = now;
    const cost = this.pktps ? 1 : bytes * 8;
    this.packetCount++;
    this.byteCount += bytes;
    let applied: Band | undefined;
    for (let i = 0; i < this.bands.length; i++) {
      const b = this.bands[i] as Band;
      if (dt > 0) b.tokens = Math.min(b.capacity, b.tokens + dt * b.perMs);
      if (b.tokens >= cost) b.tokens -= cost;
      else if (applied === undefined || b.rate > applied.rate) applied = b;
    }
    if (applied !== undefined) {
      applied.packetCount++;
      applied.byteCount += bytes;
    }
    return applied;
  }
}

/** Add `levels` to the drop precedence (DSCP bits 1-2), saturating at 3. */
export function remarkDscp(dscp: number, levels: number): number {
  const dp = Math.min(3, ((dscp >> 1) & 3) + levels);
  return (dscp & 0x39) | (dp << 1);
}

export class MeterTable {
  readonly maxMeters: number;
  readonly maxBands: number;
  private readonly meters = new Map<number, Meter>();

  constructor(
    private readonly now: () => number,
    limits: MeterLimits = {},
  ) {
    this.maxMeters = limits.maxMeters ?? 4096;
    this.maxBands = limits.maxBands ?? 8;
    // METER_FEATURES max_bands is 8 bits; and a METER stats entry of more bands would not fit in a reply
    if (!Number.isInteger(this.maxBands) || this.maxBands < 1 || this.maxBands > 255)
      throw new RangeError('meter limits: maxBands 1..255');
  }

  get size(): number {
    return this.meters.size;
  }

  has(meterId: number): boolean {
    return this.meters.has(meterId);
  }

  get(meterId: number): Meter | undefined {
    return this.meters.get(meterId);
  }

  /** Apply a validated METER_MOD; returns the flow entries a DELETE removed. Throws an OfpError. */
  apply(m: MeterMod, flows: FlowTables): Removal[] {
    if (m.meterId === OFPM.SLOWPATH && m.command !== OFPMC.DELETE)
      throw ofpError('METER_MOD_FAILED', 'INVALID_METER', 'no slow path to meter: one datapath');
    switch (m.command) {
      case OFPMC.ADD: {
        if (this.meters.has(m.meterId))
          throw ofpError('METER_MOD_FAILED', 'METER_EXISTS', `meter ${m.meterId} exists`);
        if (this.meters.size >= this.maxMeters)
          throw ofpError('METER_MOD_FAILED', 'OUT_OF_METERS', `${this.maxMeters} meters`);
        this.check(m);
        const now = this.now();
        const meter = new Meter(m.meterId, now);
        meter.configure(m.flags, m.bands, now);
        this.meters.set(m.meterId, meter);
        return [];
      }
      case OFPMC.MODIFY: {
        const meter = this.meters.get(m.meterId);
        if (meter === undefined)
          throw ofpError('METER_MOD_FAILED', 'UNKNOWN_METER', `meter ${m.meterId} does not exist`);
        this.check(m);
        meter.configure(m.flags, m.bands, this.now());
        return [];
      }
      case OFPMC.DELETE: {
        const ids = m.meterId === OFPM.ALL ? [...this.meters.keys()] : [m.meterId];
        const out: Removal[] = [];
        for (const id of ids) {
          if (!this.meters.delete(id)) continue; // deleting what does not exist: no error
          out.push(...removeFlowsUsing(flows, id));
        }
        return out;
      }
      default:
        throw ofpError('METER_MOD_FAILED', 'BAD_COMMAND', `command ${m.command}`);
    }
  }

  private check(m: MeterMod): void {
    if ((m.flags & ~(OFPMF.KBPS | OFPMF.PKTPS | OFPMF.BURST | OFPMF.STATS)) !== 0)
      throw ofpError('METER_MOD_FAILED', 'BAD_FLAGS', `flags 0x${m.flags.toString(16)}`);
    if ((m.flags & OFPMF.KBPS) !== 0 && (m.flags & OFPMF.PKTPS) !== 0)
      throw ofpError('METER_MOD_FAILED', 'BAD_FLAGS', 'both KBPS and PKTPS');
    if (m.bands.length > this.maxBands)
      throw ofpError('METER_MOD_FAILED', 'OUT_OF_BANDS', `at most ${this.maxBands} bands per meter`);
    const rates = new Set<number>();
    for (const b of m.bands) {
      if (b.type === 'EXPERIMENTER')
        throw ofpError('METER_MOD_FAILED', 'BAD_BAND', `experimenter band 0x${b.experimenter.toString(16)}`);
      if (b.rate === 0) throw ofpError('METER_MOD_FAILED', 'BAD_RATE', 'band rate 0');
      // Two bands of one rate: which of them applies would be undefined.
      if (rates.has(b.rate)) throw ofpError('METER_MOD_FAILED', 'BAD_RATE', `two bands of rate ${b.rate}`);
      rates.add(b.rate);
      if ((m.flags & OFPMF.BURST) !== 0 && b.burstSize === 0)
        throw ofpError('METER_MOD_FAILED', 'BAD_BURST', 'OFPMF_BURST with burst_size 0');
      if (b.type === 'DSCP_REMARK' && (b.precLevel < 1 || b.precLevel > 3)) {
        throw ofpError(
          'METER_MOD_FAILED',
          'BAD_BAND_VALUE',
          `prec_level ${b.precLevel}: a DSCP has drop precedence levels 1..3 to add`,
        );
      }
    }
  }

  /**
   * The METER instruction: meter the packet; false when a DROP band applies. A DSCP_REMARK
   * band rewrites the frame in place (and the key).
   */
  execute(pkt: Packet, meterId: number): boolean {
    const meter = this.meters.get(meterId);
    if (meter === undefined) return true; // refused at install; a deleted meter took its flows
    const band = meter.measure(pkt.frame.length, this.now());
    if (band === undefined) return true;
    if (band.drop) return false;
    const key = pkt.key;
    const dscp = remarkDscp(key.ipDscp, band.precLevel);
    if (dscp !== key.ipDscp) setIpDscp(pkt.frame, key, dscp);
    return true;
  }

  /** The CONTROLLER virtual meter, when configured: may a PACKET_IN of `bytes` go out? */
  admitPacketIn(bytes: number): boolean {
    const meter = this.meters.get(OFPM.CONTROLLER);
    if (meter === undefined) return true;
    const band = meter.measure(bytes, this.now());
    return band === undefined || !band.drop; // a remark band has no DSCP to mark in a PACKET_IN
  }

  // -------------------------------------------------------------------------------------
  // Statistics

  private selected(meterId: number): Meter[] {
    if (meterId === OFPM.ALL) return [...this.meters.values()].sort((a, b) => a.meterId - b.meterId);
    const m = this.meters.get(meterId);
    if (m === undefined)
      throw ofpError('METER_MOD_FAILED', 'UNKNOWN_METER', `meter ${meterId} does not exist`);
    return [m];
  }

  stats(meterId: number, flows: FlowTables): MeterStats[] {
    const selected = this.selected(meterId);
    const counts = flowCounts(flows);
    const now = this.now();
    return selected.map((m) => {
      const d = Math.max(0, now - m.createdAt);
      const sec = Math.floor(d / 1000);
      const collected = (m.flags & OFPMF.STATS) !== 0;
      const n = (v: number): bigint => (collected ? BigInt(v) : ALL_ONES);
      return {
        meterId: m.meterId,
        flowCount: counts.get(m.meterId) ?? 0,
        packetInCount: n(m.packetCount),
        byteInCount: n(m.byteCount),
        durationSec: sec,
        durationNsec: Math.min(999_999_999, Math.round((d - sec * 1000) * 1e6)),
        bandStats: m.bands.map((b) => ({ packetCount: n(b.packetCount), byteCount: n(b.byteCount) })),
      };
    });
  }

  config(meterId: number): MeterConfig[] {
    return this.selected(meterId).map((m) => ({
      flags: m.flags,
      meterId: m.meterId,
      bands: m.bands.map((b) => b.desc),
    }));
  }

  features(): {
    maxMeter: number;
    bandTypes: number;
    capabilities: number;
    maxBands: number;
    maxColor: number;
  } {
    return {
      maxMeter: this.maxMeters,
      bandTypes: (1 << OFPMBT.DROP) | (1 << OFPMBT.DSCP_REMARK),
      capabilities: OFPMF.KBPS | OFPMF.PKTPS | OFPMF.BURST | OFPMF.STATS,
      maxBands: Math.min(255, this.maxBands),
      maxColor: 0,
    };
  }
}

function meterOf(e: FlowEntry): number | undefined {
  for (const i of e.instructions) if (i.type === 'METER') return i.meterId;
  return undefined;
}

/** Flow entries per meter (METER stats flow_count). */
function flowCounts(flows: FlowTables): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of flows.select(EVERY_FLOW)) {
    const id = meterOf(e);
    if (id !== undefined) out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

/**
 * Remove the flow entries that use meter `meterId`, each by a strict delete of exactly that
 * entry (match, priority, full cookie). OpenFlow 1.3 has no METER_DELETE removal reason
 * (1.4 adds one): FLOW_REMOVED says DELETE.
 */
function removeFlowsUsing(flows: FlowTables, meterId: number): Removal[] {
  const out: Removal[] = [];
  for (const e of flows.select(EVERY_FLOW)) {
    if (meterOf(e) !== meterId) continue;
    const del: FlowMod = {
      type: 'FLOW_MOD',
      xid: 0,
      cookie: e.cookie,
      cookieMask: ALL_ONES,
      tableId: e.tableId,
      command: OFPFC.DELETE_STRICT,
      idleTimeout: 0,
      hardTimeout: 0,
      priority: e.priority,
      bufferId: OFP_NO_BUFFER,
      outPort: OFPP.ANY,
      outGroup: OFPG.ANY,
      flags: 0,
      match: e.oxms,
      instructions: [],
    };
    out.push(...flows.apply(del));
  }
  return out;
}
