// The state of one packet going through the pipeline. The datapath keeps a small pool of
// these, one per nesting depth (a port's send() or a controller's reply may feed another frame
// in before the first one is finished), so the packet path allocates nothing in the steady state.

import { FlowKey } from '@rumpflow/packet';
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

  reset(frame: Uint8Array, inPort: number): void {
    this.frame = frame;
    this.inPort = inPort;
    this.tableId = 0;
    this.cookie = 0n;
    this.tableMiss = false;
    this.detached = false;
    this.actionSet.clear();
  }
}
