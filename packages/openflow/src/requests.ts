// Requests every controller-side tool builds the same way.

import { OFPFC, OFPG, OFPP, OFPTT, OFP_NO_BUFFER } from './constants.js';
import type { MessageOf } from './messages.js';

type FlowMod = MessageOf<'FLOW_MOD'>;
type FlowStatsRequest = Extract<MessageOf<'MULTIPART_REQUEST'>, { mpType: 'FLOW' }>;

/** A FLOW stats request: every table, port, group, cookie and match unless `filter` narrows it. */
export function flowStatsRequest(
  filter: Partial<Omit<FlowStatsRequest, 'type' | 'mpType' | 'xid'>> = {},
): Omit<FlowStatsRequest, 'xid'> {
  return {
    type: 'MULTIPART_REQUEST',
    mpType: 'FLOW',
    flags: 0,
    tableId: OFPTT.ALL,
    outPort: OFPP.ANY,
    outGroup: OFPG.ANY,
    cookie: 0n,
    cookieMask: 0n,
    match: [],
    ...filter,
  };
}

/**
 * A FLOW_MOD: ADD to table 0 at priority 0, no cookie, timeouts, flags, buffer or out_port/
 * out_group filter, an empty match and no instructions, unless `fields` says otherwise.
 */
export function flowMod(fields: Partial<Omit<FlowMod, 'type' | 'xid'>> = {}): Omit<FlowMod, 'xid'> {
  return {
    type: 'FLOW_MOD',
    cookie: 0n,
    cookieMask: 0n,
    tableId: 0,
    command: OFPFC.ADD,
    idleTimeout: 0,
    hardTimeout: 0,
    priority: 0,
    bufferId: OFP_NO_BUFFER,
    outPort: OFPP.ANY,
    outGroup: OFPG.ANY,
    flags: 0,
    match: [],
    instructions: [],
    ...fields,
  };
}
