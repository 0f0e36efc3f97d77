// `monitor`: every --monitor-interval seconds (and once when a switch connects) ask each
// switch for its port stats and its flow stats, and keep them as gauges in the metrics
// (GET /metrics on --admin), as Ryu's simple_monitor_13 prints them:
//   ofc_port_{rx,tx}_{packets,bytes,dropped,errors}{dpid,port}
//   ofc_table_flows{dpid,table}, ofc_table_flow_{packets,bytes}{dpid,table}
// A switch's series go when it disconnects.

import { OFPP, type PortStats, flowStatsRequest } from '@rumpflow/openflow';
import { Counter, Gauge } from '@rumpflow/service';
import type { AppContext, OfcApp } from '../app.js';
import type { Datapath } from '../datapath.js';
import { portToUser } from '../ryu/ints.js';

const PORT_COUNTERS = {
  rx_packets: 'rxPackets',
  tx_packets: 'txPackets',
  rx_bytes: 'rxBytes',
  tx_bytes: 'txBytes',
  rx_dropped: 'rxDropped',
  tx_dropped: 'txDropped',
  rx_errors: 'rxErrors',
  tx_errors: 'txErrors',
} as const satisfies Record<string, keyof PortStats>;

export function monitorApp(ctx: AppContext): OfcApp {
  const registers = [ctx.metrics];
  const ports = Object.entries(PORT_COUNTERS).map(
    ([name, key]) =>
      [
        key,
        new Gauge({
          name: `ofc_port_${name}`,
          help: `Port ${name.replace('_', ' ')} (port stats)`,
          labelNames: ['dpid', 'port'],
          registers,
        }),
      ] as const,
  );
  const flows = new Gauge({
    name: 'ofc_table_flows',
    help: 'Flows in the table (flow stats)',
    labelNames: ['dpid', 'table'],
    registers,
  });
  const packets = new Gauge({
    name: 'ofc_table_flow_packets',
    help: 'Packets counted by the flows of the table',
    labelNames: ['dpid', 'table'],
    registers,
  });
  const bytes = new Gauge({
    name: 'ofc_table_flow_bytes',
    help: 'Bytes counted by the flows of the table',
    labelNames: ['dpid', 'table'],
    registers,
  });
  const polls = new Counter({
    name: 'ofc_monitor_polls_total',
    help: 'Stats polls by switch and result',
    labelNames: ['dpid', 'result'],
    registers,
  });
  /** Label sets written per switch, to remove them when it leaves. */
  const written = new Map<bigint, { ports: Set<string>; tables: Set<string> }>();

  async function poll(dp: Datapath): Promise<void> {
    const dpid = dp.dpid.toString();
    try {
      const [ps, fs] = await Promise.all([
        dp.multipart('PORT_STATS', { portNo: OFPP.ANY }),
        dp.multipart('FLOW', flowStatsRequest()),
      ]);
      if (dp.closed) return;
      const seen = written.get(dp.dpid) ?? { ports: new Set<string>(), tables: new Set<string>() };
      written.set(dp.dpid, seen);
      for (const s of ps.stats) {
        const port = String(portToUser(s.portNo));
        seen.ports.add(port);
        for (const [key, g] of ports) g.set({ dpid, port }, Number(s[key]));
      }
      const perTable = new Map<number, { n: number; p: bigint; b: bigint }>();
      for (const f of fs.stats) {
        const t = perTable.get(f.tableId) ?? { n: 0, p: 0n, b: 0n };
        t.n++;
        t.p += f.packetCount;
        t.b += f.byteCount;
        perTable.set(f.tableId, t);
      }
      for (const table of seen.tables)
        if (!perTable.has(Number(table))) {
          flows.set({ dpid, table }, 0);
          packets.set({ dpid, table }, 0);
          bytes.set({ dpid, table }, 0);
        }
      for (const [id, t] of perTable) {
        const table = String(id);
        seen.tables.add(table);
        flows.set({ dpid, table }, t.n);
        packets.set({ dpid, table }, Number(t.p));
        bytes.set({ dpid, table }, Number(t.b));
      }
      polls.inc({ dpid, result: 'ok' });
    } catch (e) {
      if (dp.closed) return;
      polls.inc({ dpid, result: 'failed' });
      ctx.log.warn({ dpid: dp.id, err: (e as Error).message }, 'monitor: stats request failed');
    }
  }

  const timer = setInterval(() => {
    for (const dp of ctx.controller.switches) void poll(dp);
  }, ctx.settings.monitorInterval * 1000);
  timer.unref();

  return {
    name: 'monitor',
    onSwitchEnter(dp) {
      void poll(dp); // not awaited: the switch's messages need not wait for its stats
    },
    onSwitchLeave(dp) {
      const seen = written.get(dp.dpid);
      written.delete(dp.dpid);
      if (!seen || ctx.controller.get(dp.dpid)) return;
      const dpid = dp.dpid.toString();
      for (const port of seen.ports) for (const [, g] of ports) g.remove({ dpid, port });
      for (const table of seen.tables) for (const g of [flows, packets, bytes]) g.remove({ dpid, table });
    },
    stop() {
      clearInterval(timer);
    },
  };
}
