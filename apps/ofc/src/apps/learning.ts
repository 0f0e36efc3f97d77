// `learning`: a MAC-learning switch per datapath, as Ryu's simple_switch_13 — the shared
// core of @rumpflow/learning-switch (table-miss to the controller, learn the source port of
// each PACKET_IN, install in_port+eth_src+eth_dst -> output for known destinations, flood
// the rest; PORT_STATUS and FLOW_REMOVED keep the table honest).

import { LearningSwitches } from '@rumpflow/learning-switch';
import { Gauge } from '@rumpflow/service';
import type { AppContext, OfcApp } from '../app.js';

export function learningApp(ctx: AppContext): OfcApp {
  const switches = new LearningSwitches({ idleTimeout: ctx.settings.learningIdleTimeout });
  const registers = [ctx.metrics];
  const stat = (
    name: string,
    help: string,
    key: 'learned' | 'flooded' | 'forwarded' | 'flowsInstalled' | 'packetIns',
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['dpid'],
      registers,
      collect() {
        this.reset();
        for (const dpid of switches.datapaths)
          this.set({ dpid: dpid.toString() }, switches.of(dpid).stats[key]);
      },
    });
  new Gauge({
    name: 'ofc_learning_macs',
    help: 'MAC addresses the learning app knows, per switch',
    labelNames: ['dpid'],
    registers,
    collect() {
      this.reset();
      for (const dpid of switches.datapaths)
        this.set({ dpid: dpid.toString() }, switches.of(dpid).table().length);
    },
  });
  stat(
    'ofc_learning_packet_ins',
    'PACKET_INs the learning app handled since the switch connected',
    'packetIns',
  );
  stat('ofc_learning_flooded', 'Packets the learning app flooded since the switch connected', 'flooded');
  stat(
    'ofc_learning_flows_installed',
    'Flows the learning app installed since the switch connected',
    'flowsInstalled',
  );
  return {
    name: 'learning',
    onSwitchEnter: (dp) => switches.of(dp.dpid).onConnect(),
    onSwitchLeave: (dp) => switches.forget(dp.dpid),
    onMessage: (dp, msg) => switches.of(dp.dpid).onMessage(msg),
  };
}
