// `hub`: every packet goes to the controller (a table-miss entry) and back out of every
// port but the one it came in on (PACKET_OUT to FLOOD). Nothing is learned, no flow is
// installed: each packet crosses the OpenFlow channel twice, which is the point when a
// switch's PACKET_IN and PACKET_OUT paths are what is being tested.

import { OFPCML, OFPFC, OFPP, OFP_NO_BUFFER, type UnsentMessage, flowMod } from '@rumpflow/openflow';
import type { OfcApp } from '../app.js';

/** Cookie of the hub's table-miss entry. */
export const HUB_COOKIE = 0x2fn;

const hubFlow = (
  command: number,
  extra: Partial<Extract<UnsentMessage, { type: 'FLOW_MOD' }>>,
): UnsentMessage => flowMod({ cookie: HUB_COOKIE, command, ...extra });

export function hubApp(): OfcApp {
  return {
    name: 'hub',
    onSwitchEnter: () => [
      hubFlow(OFPFC.DELETE, { tableId: 0xff, cookieMask: 0xffffffffffffffffn }),
      hubFlow(OFPFC.ADD, {
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
