// Controller roles and asynchronous-message configuration (OpenFlow 1.3.5 sections 6.3.6
// and 7.3.10).
//
// Roles. Every channel starts EQUAL. A ROLE_REQUEST for MASTER or SLAVE carries a
// generation_id that the switch compares with the largest one it has seen, as a signed 64-bit
// distance (so the ids may wrap): a smaller one is stale (ROLE_REQUEST_FAILED/STALE) and the
// request is refused. A new MASTER demotes the previous master(s) to SLAVE. EQUAL and NOCHANGE
// ignore the generation_id. The reply carries the channel's role and the cached generation_id,
// or all ones while no MASTER/SLAVE request has set one.
//
// Asynchronous messages. Each channel has three pairs of masks, the first of each pair for
// the MASTER/EQUAL role and the second for SLAVE, with one bit per reason value: which
// PACKET_IN reasons, PORT_STATUS reasons and FLOW_REMOVED reasons the channel receives. The
// defaults are Open vSwitch's (and the specification's intent): MASTER/EQUAL get PACKET_IN for
// NO_MATCH and ACTION (not INVALID_TTL), every PORT_STATUS and every FLOW_REMOVED; SLAVE gets
// every PORT_STATUS and nothing else. SET_ASYNC replaces a channel's masks.

import { OFPCR_ROLE, OFPPR, OFPR, OFPRR } from '@rumpflow/openflow';

export type Role = (typeof OFPCR_ROLE)[keyof typeof OFPCR_ROLE];

/** Per-channel masks (GET_ASYNC_REPLY / SET_ASYNC), each [master/equal, slave]. */
export interface AsyncConfig {
  packetInMask: [number, number];
  portStatusMask: [number, number];
  flowRemovedMask: [number, number];
}

export type AsyncKind = 'packetIn' | 'portStatus' | 'flowRemoved';

const bit = (n: number): number => 1 << n;
const ALL_PORT_REASONS = bit(OFPPR.ADD) | bit(OFPPR.DELETE) | bit(OFPPR.MODIFY);
const ALL_REMOVED_REASONS =
  bit(OFPRR.IDLE_TIMEOUT) | bit(OFPRR.HARD_TIMEOUT) | bit(OFPRR.DELETE) | bit(OFPRR.GROUP_DELETE);

export function defaultAsyncConfig(): AsyncConfig {
  return {
    packetInMask: [bit(OFPR.NO_MATCH) | bit(OFPR.ACTION), 0],
    portStatusMask: [ALL_PORT_REASONS, ALL_PORT_REASONS],
    flowRemovedMask: [ALL_REMOVED_REASONS, 0],
  };
}

/** Does a channel in `role` with `cfg` receive an asynchronous message of `kind` and `reason`? */
export function wantsAsync(role: Role, cfg: AsyncConfig, kind: AsyncKind, reason: number): boolean {
  const masks =
    kind === 'packetIn' ? cfg.packetInMask : kind === 'portStatus' ? cfg.portStatusMask : cfg.flowRemovedMask;
  const mask = masks[role === OFPCR_ROLE.SLAVE ? 1 : 0];
  return reason < 32 && ((mask >>> reason) & 1) === 1;
}

const U64 = (1n << 64n) - 1n;
/** The reply's generation_id while none is defined. */
export const GENERATION_UNDEFINED = U64;

/** The switch-wide master election state. */
export class Election {
  private cached: bigint | undefined;

  /** The generation_id to put in ROLE_REPLY. */
  get generationId(): bigint {
    return this.cached ?? GENERATION_UNDEFINED;
  }

  /**
   * Check and record the generation_id of a MASTER/SLAVE request: false when it is stale,
   * i.e. (int64)(id - cached) < 0 with a cached id defined.
   */
  admit(id: bigint): boolean {
    if (this.cached !== undefined) {
      const distance = (id - this.cached) & U64;
      if (distance >= 1n << 63n) return false;
    }
    this.cached = id & U64;
    return true;
  }
}
