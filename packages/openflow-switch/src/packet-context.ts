// The state of one packet going through the pipeline. The datapath keeps a small pool of
// these, one per nesting depth (a port's send(), a controller's reply or a group bucket may
// run another packet before the first one is finished), so the packet path allocates nothing
// in the steady state. Rewrites change `frame` in place; a push or pop replaces it (setFrame)
// and parses it again, so `key` always describes the current frame.

import { FlowKey, parseFrame } from '@rumpflow/packet';
import { ActionSet } from './actions.js';
import { SLOTS } from './match.js';

export class Packet {
  frame: Uint8Array = new Uint8Array(0);
  readonly key = new FlowKey();
  /** The key in the classifier's slot layout (refreshed before each table lookup). */
  readonly slots = new Uint32Array(SLOTS);
  readonly actionSet = new ActionSet();
  /** The ingress port (a port number, or CONTROLLER/LOCAL/ANY for PACKET_OUT). */
  inPort = 0;
  /** Table of the entry being executed (PACKET_IN table_id). */
  tableId = 0;
  /** Cookie of that entry (PACKET_IN cookie). */
  cookie = 0n;
  /** That entry is a table-miss entry: a PACKET_IN it sends has reason NO_MATCH. */
  tableMiss = false;
  /** Executing the action set, or actions not tied to one entry (PACKET_IN cookie all ones). */
  detached = false;
  /** SET_QUEUE: the output queue (0, every port's only queue, unless set). */
  queueId = 0;

  reset(frame: Uint8Array, inPort: number): void {
    this.frame = frame;
    this.inPort = inPort;
    this.tableId = 0;
    this.cookie = 0n;
    this.tableMiss = false;
    this.detached = false;
    this.queueId = 0;
    this.actionSet.clear();
  }

  /** Replace the frame (after a push or pop) and parse it; pipeline fields stay. */
  setFrame(frame: Uint8Array): void {
    this.frame = frame;
    parseFrame(frame, this.key);
  }

  /**
   * Become an independent copy of `from` (a group bucket's packet): the frame's bytes, the key
   * with its pipeline fields, in_port, the entry's table and cookie, the queue. The action set
   * is not copied: this packet's is empty.
   */
  copyFrom(from: Packet): void {
    this.reset(Uint8Array.prototype.slice.call(from.frame), from.inPort);
    Object.assign(this.key, from.key);
    this.tableId = from.tableId;
    this.cookie = from.cookie;
    this.tableMiss = from.tableMiss;
    this.detached = from.detached;
    this.queueId = from.queueId;
  }
}
