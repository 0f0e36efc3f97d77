// Message builders shared by the tests: one FLOW_MOD with the defaults a test does not care
// about, overridden where it does.
import type { Action, Instruction } from '../src/actions.js';
import type { FlowMod } from '../src/messages.js';
import type { Match } from '../src/oxm.js';
import { flowMod as buildFlowMod } from '../src/requests.js';

/** An ADD into table 0 at priority 1, not buffered, no out port/group, no flags. */
export function flowMod(
  match: Match = [],
  instructions: Instruction[] = [],
  extra: Partial<FlowMod> = {},
): FlowMod {
  return { ...buildFlowMod({ priority: 1, match, instructions }), xid: 1, ...extra };
}

/** One APPLY_ACTIONS instruction. */
export const apply = (...actions: Action[]): Instruction[] => [{ type: 'APPLY_ACTIONS', actions }];
