// The OpenFlow pipeline (1.3.5 section 5.1): a packet starts at table 0 (or at the table a
// PACKET_OUT's OUTPUT:TABLE names: also 0), is matched, and the matched entry's instructions
// run in the specification's order whatever their order in the FLOW_MOD: (meter: part 2),
// apply-actions, clear-actions, write-actions, write-metadata, goto-table. Without goto-table
// the pipeline ends and the action set is executed. A packet that matches nothing in a table
// (no table-miss entry) is dropped, as OpenFlow 1.3 requires.
//
// Each entry's instruction list is compiled once into a Program (cached by the list's
// identity, so a MODIFY that replaces the list gets a new one); the loop below allocates
// nothing per packet.

import type { Action } from '@rumpflow/openflow';
import { type ActionHost, executeList } from './actions.js';
import type { FlowEntry, FlowTable } from './flow-table.js';
import { keySlots } from './match.js';
import type { Packet } from './packet-context.js';

/** An entry's instructions, in execution order. */
export interface Program {
  readonly apply: readonly Action[] | undefined;
  readonly clear: boolean;
  readonly write: readonly Action[] | undefined;
  /** WRITE_METADATA: mask 0n when absent. */
  readonly metadata: bigint;
  readonly metadataMask: bigint;
  /** GOTO_TABLE target, or -1. */
  readonly goto: number;
}

/** An entry's instructions in the form the pipeline runs, compiled once and kept on the entry. */
export function programOf(e: FlowEntry): Program {
  const cached = e.compiled as Program | undefined;
  if (cached !== undefined) return cached;
  const ins = e.instructions;
  let apply: Action[] | undefined;
  let write: Action[] | undefined;
  let clear = false;
  let metadata = 0n;
  let metadataMask = 0n;
  let goto = -1;
  for (const i of ins) {
    switch (i.type) {
      case 'APPLY_ACTIONS':
        apply = i.actions;
        break;
      case 'CLEAR_ACTIONS':
        clear = true;
        break;
      case 'WRITE_ACTIONS':
        write = i.actions;
        break;
      case 'WRITE_METADATA':
        metadata = i.metadata;
        metadataMask = i.metadataMask;
        break;
      case 'GOTO_TABLE':
        goto = i.tableId;
        break;
      default:
        break; // METER (part 2); EXPERIMENTER is refused at installation
    }
  }
  const p: Program = { apply, clear, write, metadata, metadataMask, goto };
  e.compiled = p;
  return p;
}

/** A table-miss entry: priority 0 and every field wildcarded (1.3.5 section 5.4). */
export function isTableMiss(e: FlowEntry): boolean {
  return e.priority === 0 && e.match.used.length === 0;
}

/**
 * Run a parsed packet through the tables from `startTable`. `pkt.key` holds the parsed frame
 * and its pipeline fields (in_port, metadata, tunnel id); `now` is the clock reading for the
 * entries' last-use times.
 */
export function runPipeline(
  pkt: Packet,
  tables: readonly FlowTable[],
  startTable: number,
  host: ActionHost,
  now: number,
): void {
  const key = pkt.key;
  const bytes = pkt.frame.length;
  let tid = startTable;
  for (;;) {
    const table = tables[tid] as FlowTable;
    const e = table.lookup(keySlots(key, pkt.slots), bytes, now);
    if (e === undefined) return; // no match, no table-miss entry: drop (the action set too)
    const p = programOf(e);
    pkt.tableId = tid;
    pkt.cookie = e.cookie;
    pkt.tableMiss = isTableMiss(e);
    pkt.detached = false;
    if (p.apply !== undefined) executeList(p.apply, pkt, host);
    if (p.clear) pkt.actionSet.clear();
    if (p.write !== undefined) pkt.actionSet.write(p.write);
    if (p.metadataMask !== 0n)
      key.metadata = (key.metadata & ~p.metadataMask) | (p.metadata & p.metadataMask);
    if (p.goto < 0) break;
    tid = p.goto;
  }
  if (pkt.actionSet.size > 0) {
    pkt.detached = true;
    pkt.actionSet.execute(pkt, host);
  }
}
