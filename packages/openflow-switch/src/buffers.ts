// Packet buffers (1.3.5 sections 7.3.4.2, 7.3.7, 7.4.1): a PACKET_IN may leave its packet in
// the switch and send the controller only its head and a buffer_id; a later PACKET_OUT or
// FLOW_MOD naming that id releases the packet (sends it, or runs it through the new entry).
//
// A fixed array of `capacity` slots, so memory is bounded: a packet that finds every slot
// taken is not buffered (its PACKET_IN carries the whole frame and OFP_NO_BUFFER, as for
// OFPCML_NO_BUFFER). An id is the slot number in the low bits and the slot's generation above
// them, so an id whose slot has since held another packet is recognisably stale. Taking an id
// answers:
//   - the packet, once (the slot is freed);
//   - 'empty' when this very packet was already released (BAD_REQUEST/BUFFER_EMPTY, "specified
//     buffer has already been used");
//   - 'unknown' for ids never handed out, overwritten, or expired (BAD_REQUEST/BUFFER_UNKNOWN).
// Packets expire `lifetimeMs` after buffering (Open vSwitch keeps them for 5 seconds), on the
// injected clock, when expire() runs (Datapath.tick).

import { OFP_NO_BUFFER } from '@rumpflow/openflow';

/** A buffered packet. */
export interface Buffered {
  readonly frame: Uint8Array;
  readonly inPort: number;
  readonly tunnelId: bigint;
}

const FREE = 0;
const HELD = 1;
const USED = 2;

export class PacketBuffers {
  private readonly slotBits: number;
  private readonly gens: Uint32Array;
  private readonly states: Uint8Array;
  private readonly expires: Float64Array;
  private readonly packets: (Buffered | undefined)[];
  private next = 0;
  private held = 0;

  constructor(
    readonly capacity: number,
    readonly lifetimeMs = 5000,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 16)
      throw new RangeError('packet buffers: 1..65536');
    this.slotBits = Math.max(1, Math.ceil(Math.log2(capacity)));
    this.gens = new Uint32Array(capacity);
    this.states = new Uint8Array(capacity);
    this.expires = new Float64Array(capacity);
    this.packets = new Array<Buffered | undefined>(capacity).fill(undefined);
  }

  /** Packets held now. */
  get size(): number {
    return this.held;
  }

  private idOf(slot: number): number {
    return ((this.gens[slot]! << this.slotBits) | slot) >>> 0;
  }

  /** Keep a copy of `frame`; returns its buffer id, or OFP_NO_BUFFER when every slot is taken. */
  store(frame: Uint8Array, inPort: number, tunnelId: bigint, now: number): number {
    if (this.held >= this.capacity) return OFP_NO_BUFFER;
    let slot = this.next;
    while (this.states[slot] === HELD) slot = (slot + 1) % this.capacity;
    this.next = (slot + 1) % this.capacity;
    const genLimit = 2 ** (32 - this.slotBits);
    let gen = (this.gens[slot]! + 1) % genLimit;
    this.gens[slot] = gen;
    if (this.idOf(slot) === OFP_NO_BUFFER) this.gens[slot] = gen = (gen + 1) % genLimit;
    this.states[slot] = HELD;
    this.expires[slot] = now + this.lifetimeMs;
    this.packets[slot] = { frame: Uint8Array.prototype.slice.call(frame), inPort, tunnelId };
    this.held++;
    return this.idOf(slot);
  }

  /** Release a buffered packet (see the top of the file for 'empty' and 'unknown'). */
  take(id: number): Buffered | 'empty' | 'unknown' {
    const slot = id & ((1 << this.slotBits) - 1);
    if (slot >= this.capacity || this.idOf(slot) !== id >>> 0) return 'unknown';
    const state = this.states[slot];
    if (state === USED) return 'empty';
    if (state !== HELD) return 'unknown';
    const p = this.packets[slot] as Buffered;
    this.packets[slot] = undefined;
    this.states[slot] = USED;
    this.held--;
    return p;
  }

  /** Forget packets held longer than the lifetime; their ids become unknown. */
  expire(now: number): number {
    if (this.held === 0) return 0;
    let n = 0;
    for (let s = 0; s < this.capacity; s++) {
      if (this.states[s] !== HELD || this.expires[s]! > now) continue;
      this.states[s] = FREE;
      this.packets[s] = undefined;
      this.held--;
      n++;
    }
    return n;
  }
}
