// An ofc app, as a module: `ofc --app learning --app ./examples/no-ipv6.mjs`.
// It drops IPv6 in every switch (a flow installed when the switch connects, so again after
// a reconnect), and counts and logs what still reaches the controller.
// The default export is the app's factory: (ctx) => app. See ../README.md, "Writing an app".

import { flowModFrom, parseFlow } from '@rumpflow/openflow';
import { Counter } from '@rumpflow/service';

export default function noIpv6(ctx) {
  // Open vSwitch flow syntax, checked once at start-up (a bad flow stops ofc with a usage error)
  const drop = flowModFrom(parseFlow('cookie=0x6,priority=100,ipv6,actions=drop'));
  const packetIns = new Counter({
    name: 'ofc_no_ipv6_packet_ins_total',
    help: 'PACKET_INs seen by the no-ipv6 app',
    labelNames: ['dpid'],
    registers: [ctx.metrics],
  });
  return {
    name: 'no-ipv6',
    // the switch has connected and said who it is: return the messages to send it
    onSwitchEnter(dp) {
      ctx.log.info({ dpid: dp.id, ports: [...dp.ports.keys()] }, `dropping IPv6 on ${dp.id}`);
      return [drop];
    },
    onPacketIn(dp, pi) {
      packetIns.inc({ dpid: dp.dpid.toString() });
      const inPort = pi.match.find((o) => o.field === 'IN_PORT')?.value;
      ctx.log.debug({ dpid: dp.id, inPort, bytes: pi.data.length }, 'packet in');
    },
    onSwitchLeave(dp, reason) {
      ctx.log.info({ dpid: dp.id, reason: reason?.message }, `${dp.id} left`);
    },
  };
}
