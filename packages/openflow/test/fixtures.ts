// Message builders shared by the tests: one FLOW_MOD with the defaults a test does not care
// about, overridden where it does.
import type { Action, Instruction } from '../src/actions.js';
import { OFPFC, OFPG, OFPP, OFP_NO_BUFFER } from '../src/constants.js';
import type { FlowMod } from '../src/messages.js';
import type { Match } from '../src/oxm.js';

/** An ADD into table 0 at priority 1, not buffered, no out port/group, no flags. */
export function flowMod(
  match: Match = [],
  instructions: Instruction[] = [],
  extra: Partial<FlowMod> = {},
): FlowMod {
  return {
    type: 'FLOW_MOD',
    xid: 1,
    cookie: 0n,
    cookieMask: 0n,
    tableId: 0,
    command: OFPFC.ADD,
    idleTimeout: 0,
    hardTimeout: 0,
    priority: 1,
    bufferId: OFP_NO_BUFFER,
    outPort: OFPP.ANY,
    outGroup: OFPG.ANY,
    flags: 0,
    match,
    instructions,
    ...extra,
  };
}

/** One APPLY_ACTIONS instruction. */
export const apply = (...actions: Action[]): Instruction[] => [{ type: 'APPLY_ACTIONS', actions }];
