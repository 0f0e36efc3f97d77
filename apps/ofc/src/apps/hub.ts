// `hub`: every packet goes to the controller (a table-miss entry) and back out of every
// port but the one it came in on (PACKET_OUT to FLOOD). Nothing is learned, no flow is
// installed: each packet crosses the OpenFlow channel twice, which is the point when a
// switch's PACKET_IN and PACKET_OUT paths are what is being tested.

import { OFPCML, OFPFC, OFPG, OFPP, OFP_NO_BUFFER, type UnsentMessage } from '@rumpflow/openflow';
import type { OfcApp } from '../app.js';

/** Cookie of the hub's table-miss entry. */
export const HUB_COOKIE = 0x2fn;

const flowMod = (
  command: number,
  extra: Partial<Extract<UnsentMessage, { type: 'FLOW_MOD' }>>,
): UnsentMessage => ({
  type: 'FLOW_MOD',
  cookie: HUB_COOKIE,
  cookieMask: 0n,
  tableId: 0,
  command,
  idleTimeout: 0,
  hardTimeout: 0,
  priority: 0,
  bufferId: OFP_NO_BUFFER,
  outPort: OFPP.ANY,
  outGroup: OFPG.ANY,
  flags: 0,
  match: [],
  instructions: [],
  ...extra,
});

export function hubApp(): OfcApp {
  return {
    name: 'hub',
    onSwitchEnter: () => [
      flowMod(OFPFC.DELETE, { tableId: 0xff, cookieMask: 0xffffffffffffffffn }),
      flowMod(OFPFC.ADD, {
        instructions: [
          {
            type: 'APPLY_ACTIONS',
            actions: [{ type: 'OUTPUT', port: OFPP.CONTROLLER, maxLen: OFPCML.NO_BUFFER }],
          },
        ],
      }),
    ],
    onPacketIn: (_dp, pi) => {
      const inPort = pi.match.find((o) => o.field === 'IN_PORT')?.value as number | undefined;
      return [
        {
          type: 'PACKET_OUT',
          bufferId: pi.bufferId,
          inPort: inPort ?? OFPP.CONTROLLER,
          actions: [{ type: 'OUTPUT', port: OFPP.FLOOD, maxLen: 0 }],
          data: pi.bufferId === OFP_NO_BUFFER ? pi.data : new Uint8Array(0),
        },
      ];
    },
  };
}
