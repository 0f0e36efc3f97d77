// Requests every controller-side tool builds the same way.

import { OFPG, OFPP, OFPTT } from './constants.js';
import type { MessageOf } from './messages.js';

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
