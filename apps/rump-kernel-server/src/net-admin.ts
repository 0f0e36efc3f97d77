// The kernel's networking in the admin API: /v1/interfaces, /v1/switches/:name (ports,
// tables, flow counts, counters), the /v1/capture websocket (a pcap stream of an
// interface, or of a switch's OpenFlow channels with ?dlt=openflow), and the interface
// counters in /metrics.

import { Gauge, type Registry, type RoutesPlugin } from '@rumpflow/service';
import { type Network, SwitchInterface, startCapture } from '@rumpflow/rump-net';
import { DLT } from '@rumpflow/sysproxy';

const COUNTERS = [
  'ipackets',
  'opackets',
  'ibytes',
  'obytes',
  'ierrors',
  'oerrors',
  'iqdrops',
  'collisions',
  'badvni',
  'badhdr',
] as const;

/** 64-bit ids as exact strings in JSON. */
const hex64 = (n: bigint): string => `0x${n.toString(16).padStart(16, '0')}`;

export function netMetrics(net: Network, registers: Registry): void {
  const reg = [registers];
  for (const c of COUNTERS) {
    new Gauge({
      name: `rumpkernel_interface_${c}`,
      help: `if_data ${c} of each interface (since its creation)`,
      labelNames: ['interface'],
      registers: reg,
      collect() {
        this.reset();
        for (const i of net.interfaces.values()) this.set({ interface: i.name }, i.counters[c]);
      },
    });
  }
  const sw = (name: string, help: string, f: (s: SwitchInterface) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['switch'],
      registers: reg,
      collect() {
        this.reset();
        for (const i of net.interfaces.values())
          if (i instanceof SwitchInterface) this.set({ switch: i.name }, f(i));
      },
    });
  sw('rumpkernel_switch_flows', 'Flow entries over all tables', (s) =>
    s.datapath.flows.tables.reduce((n, t) => n + t.activeCount, 0),
  );
  sw('rumpkernel_switch_channels', 'Controller channels open on /dev/switchN', (s) => s.channelCount);
  sw(
    'rumpkernel_switch_async_dropped',
    'Asynchronous messages dropped for a full device queue',
    (s) => net.deviceStats.get(s.name)?.asyncDropped ?? 0,
  );
  sw(
    'rumpkernel_switch_overflow_resets',
    'Channels reset because a reply passed the hard queue limit',
    (s) => net.deviceStats.get(s.name)?.overflowResets ?? 0,
  );
}

const countersSchema = {
  type: 'object',
  properties: Object.fromEntries(COUNTERS.map((c) => [c, { type: 'integer' }])),
} as const;

export function netRoutes(net: Network, now: () => number): RoutesPlugin {
  return async (app) => {
    app.get(
      '/v1/interfaces',
      {
        schema: {
          summary: 'Every network interface with flags, addresses, tunnel, ports and counters (ifconfig -a)',
          response: {
            200: {
              type: 'object',
              properties: {
                interfaces: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      name: { type: 'string' },
                      driver: { type: 'string' },
                      flags: { type: 'integer' },
                      mtu: { type: 'integer' },
                      mac: { type: 'string' },
                      linkState: { type: 'integer' },
                      counters: countersSchema,
                      address: {
                        type: 'object',
                        properties: { addr: { type: 'string' }, prefixlen: { type: 'integer' } },
                      },
                      memberOf: { type: 'string' },
                      tunnel: {
                        type: 'object',
                        properties: {
                          src: { type: 'string' },
                          srcport: { type: 'integer' },
                          dst: { type: 'string' },
                          dstport: { type: 'integer' },
                        },
                      },
                      vnetid: { type: 'integer' },
                      datapathId: { type: 'string' },
                      ports: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: {
                            member: { type: 'string' },
                            portNo: { type: 'integer' },
                            local: { type: 'boolean' },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      async () => ({ interfaces: net.list().map((i) => net.summary(i)) }),
    );
    app.get(
      '/v1/switches/:name',
      {
        schema: {
          summary:
            'One switch: datapath id, ports with OpenFlow counters, tables with flow counts, device counters',
          params: {
            type: 'object',
            properties: { name: { type: 'string', pattern: '^switch[0-9]+$' } },
            required: ['name'],
          },
        },
      },
      async (req, reply) => {
        const { name } = req.params as { name: string };
        const s = net.interfaces.get(name);
        if (!(s instanceof SwitchInterface)) return reply.code(404).send({ error: `no switch ${name}` });
        const dp = s.datapath;
        const members = new Map(s.ports.map((m) => [m.portNo, m]));
        return {
          name: s.name,
          datapathId: hex64(s.datapathId),
          flags: s.flags,
          channels: s.channelCount,
          device: net.deviceStats.get(name),
          counters: s.counters,
          ports: dp.ports.map((p) => ({
            portNo: p.portNo,
            name: p.name,
            hwAddr: p.hwAddr,
            local: members.get(p.portNo)?.local ?? false,
            config: p.config,
            state: p.state,
            rxPackets: p.rxPackets,
            txPackets: p.txPackets,
            rxBytes: p.rxBytes,
            txBytes: p.txBytes,
            rxDropped: p.rxDropped,
            txDropped: p.txDropped,
          })),
          flows: dp.flows.tables.reduce((n, t) => n + t.activeCount, 0),
          tables: dp.flows.tables
            .filter((t) => t.activeCount > 0 || t.lookupCount > 0)
            .map((t) => ({
              tableId: t.tableId,
              activeCount: t.activeCount,
              lookupCount: t.lookupCount,
              matchedCount: t.matchedCount,
            })),
        };
      },
    );
    app.get(
      '/v1/capture',
      {
        websocket: true,
        schema: {
          summary: 'A live capture as a pcap byte stream (binary messages: the file header, then records)',
          querystring: {
            type: 'object',
            properties: {
              interface: { type: 'string' },
              dlt: { type: 'string', enum: ['en10mb', 'openflow'] },
            },
            required: ['interface'],
            additionalProperties: false,
          },
        },
      },
      (socket, req) => {
        const q = req.query as { interface: string; dlt?: 'en10mb' | 'openflow' };
        const ifp = net.interfaces.get(q.interface);
        if (!ifp) {
          socket.close(1008, `no interface ${q.interface}`);
          return;
        }
        let stop: (() => void) | undefined;
        try {
          stop = startCapture(ifp, q.dlt === 'openflow' ? DLT.OPENFLOW : DLT.EN10MB, now, (bytes) => {
            // a slow reader loses records (as bpf drops) rather than grow a queue without bound
            if (socket.bufferedAmount > 4 * 1024 * 1024) return;
            socket.send(bytes);
          });
        } catch (e) {
          socket.close(1008, (e as Error).message.slice(0, 100));
          return;
        }
        socket.on('close', () => stop?.());
      },
    );
  };
}
