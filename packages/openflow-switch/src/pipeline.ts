// The OpenFlow pipeline (1.3.5 section 5.1): a packet starts at table 0 (or at the table a
// PACKET_OUT's OUTPUT:TABLE names: also 0), is matched, and the matched entry's instructions
// run in the specification's order whatever their order in the FLOW_MOD: meter, apply-actions,
// clear-actions, write-actions, write-metadata, goto-table. Without goto-table the pipeline
// ends and the action set is executed. A packet that matches nothing in a table (no table-miss
// entry) is dropped, as OpenFlow 1.3 requires, and so is one a meter drops or whose TTL
// expires in an apply-actions list. Actions rewrite the packet and its key, and the key is
// turned into the classifier's slots again before every lookup, so a later table matches the
// rewritten packet.
//
// Each entry's instruction list is compiled once into a Program (cached by the list's
// identity, so a MODIFY that replaces the list gets a new one); the loop below allocates
// nothing per packet.

import type { Action, Instruction } from '@rumpflow/openflow';
import { type ActionHost, executeList } from './actions.js';
import type { FlowEntry, FlowTable } from './flow-table.js';
import { keySlots } from './match.js';
import type { Packet } from './packet-context.js';

/** An entry's instructions, in execution order. */
export interface Program {
  /** METER instruction: the meter id, or 0 (no meter). */
  readonly meter: number;
  readonly apply: readonly Action[] | undefined;
  readonly clear: boolean;
  readonly write: readonly Action[] | undefined;
  /** WRITE_METADATA: mask 0n when absent. */
  readonly metadata: bigint;
  readonly metadataMask: bigint;
  /** GOTO_TABLE target, or -1. */
  readonly goto: number;
}

/** Programs by instruction list (weak: a list no entry holds any more lets its Program go). */
const programs = new WeakMap<readonly Instruction[], Program>();

/** An entry's instructions in the form the pipeline runs, compiled once and kept on the entry. */
export function programOf(e: FlowEntry): Program {
  const cached = e.compiled as Program | undefined;
  if (cached !== undefined) return cached;
  const ins = e.instructions;
  // entries sharing one instruction list (flow-table's pool) share its Program too
  const shared = programs.get(ins);
  if (shared !== undefined) return (e.compiled = shared);
  let apply: Action[] | undefined;
  let write: Action[] | undefined;
  let clear = false;
  let metadata = 0n;
  let metadataMask = 0n;
  let goto = -1;
  let meter = 0;
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
      case 'METER':
        meter = i.meterId;
        break;
      default:
        break; // EXPERIMENTER is refused at installation
    }
  }
  const p: Program = { meter, apply, clear, write, metadata, metadataMask, goto };
  e.compiled = p;
  programs.set(ins, p);
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
  let tid = startTable;
  for (;;) {
    const table = tables[tid] as FlowTable;
    // the key and the byte count describe the frame as rewritten so far
    const e = table.lookup(keySlots(key, pkt.slots), pkt.frame.length, now);
    if (e === undefined) return; // no match, no table-miss entry: drop (the action set too)
    const p = programOf(e);
    pkt.tableId = tid;
    pkt.cookie = e.cookie;
    pkt.tableMiss = isTableMiss(e);
    pkt.detached = false;
    if (p.meter !== 0 && !host.meter(pkt, p.meter)) return;
    if (p.apply !== undefined && !executeList(p.apply, pkt, host)) return;
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
