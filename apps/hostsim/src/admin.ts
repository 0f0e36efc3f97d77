// hostsim's admin routes (/v1/stats) and Prometheus metrics, both read from the host's
// counters when asked (nothing is copied per packet).

import { Gauge, type Registry, type RoutesPlugin, scrapedGauge } from '@rumpflow/service';
import type { Host } from './host.js';
import type { VxlanPort } from './vxlan-port.js';

export interface Identity {
  readonly mac: string;
  readonly ip: string;
  readonly vni: number;
  readonly remote: string;
}

const count = { type: 'integer' } as const;
const rttSchema = {
  type: ['object', 'null'],
  properties: {
    p50: { type: 'number' },
    p99: { type: 'number' },
    min: { type: 'number' },
    max: { type: 'number' },
    samples: count,
  },
} as const;
const peerSchema = {
  type: 'object',
  properties: {
    ip: { type: 'string' },
    mac: { type: ['string', 'null'] },
    pingsSent: count,
    pingReplies: count,
    pingsLost: count,
    pingsInFlight: count,
    lateReplies: count,
    pingLoss: { type: 'number' },
    rttMs: rttSchema,
    udpSent: count,
    udpReceived: count,
    udpLost: count,
  },
} as const;
const countersSchema = (names: readonly string[]) =>
  ({ type: 'object', properties: Object.fromEntries(names.map((n) => [n, count])) }) as const;

export function hostRoutes(host: Host, port: VxlanPort, identity: Identity): RoutesPlugin {
  return async (app) => {
    app.get(
      '/v1/stats',
      {
        schema: {
          summary:
            "This host's addresses, its frame counters, its VXLAN port's counters, and per peer: pings, loss, round-trip times (ms), UDP",
          response: {
            200: {
              type: 'object',
              properties: {
                mac: { type: 'string' },
                ip: { type: 'string' },
                vni: count,
                local: { type: ['string', 'null'] },
                remote: { type: 'string' },
                counters: countersSchema(Object.keys(host.counters)),
                port: countersSchema(Object.keys(port.counters)),
                peers: { type: 'array', items: peerSchema },
              },
            },
          },
        },
      },
      async () => ({
        ...identity,
        local: port.address ? `${port.address.host}:${port.address.port}` : null,
        counters: host.counters,
        port: port.counters,
        peers: host.stats().map((p) => ({ ...p, mac: p.mac ?? null, rttMs: p.rttMs ?? null })),
      }),
    );
  };
}

/** hostsim_* gauges, filled from the host at each scrape. */
export function hostMetrics(registry: Registry, host: Host, port: VxlanPort): void {
  const registers = [registry];
  const perPeer = (name: string, help: string, pick: (s: ReturnType<Host['stats']>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        for (const s of host.stats()) this.set({ peer: s.ip }, pick(s));
      },
    });
  perPeer('hostsim_pings_sent_total', 'ICMP echo requests sent to the peer', (s) => s.pingsSent);
  perPeer(
    'hostsim_ping_replies_total',
    'ICMP echo replies received in time from the peer',
    (s) => s.pingReplies,
  );
  perPeer(
    'hostsim_pings_lost_total',
    'Pings to the peer not answered within the timeout',
    (s) => s.pingsLost,
  );
  perPeer('hostsim_udp_sent_total', 'UDP flow datagrams sent to the peer', (s) => s.udpSent);
  perPeer('hostsim_udp_received_total', 'UDP flow datagrams received from the peer', (s) => s.udpReceived);
  perPeer('hostsim_udp_lost_total', "Datagrams missing from the peer's UDP flow", (s) => s.udpLost);
  new Gauge({
    name: 'hostsim_rtt_milliseconds',
    help: 'Round-trip time of recent pings to the peer, by quantile',
    labelNames: ['peer', 'quantile'],
    registers,
    collect() {
      this.reset();
      for (const s of host.stats()) {
        if (!s.rttMs) continue;
        this.set({ peer: s.ip, quantile: '0.5' }, s.rttMs.p50);
        this.set({ peer: s.ip, quantile: '0.99' }, s.rttMs.p99);
      }
    },
  });
  // totals the host keeps, exposed as gauges
  const total = (name: string, help: string, value: () => number) =>
    scrapedGauge(registry, name, help, value);
  total('hostsim_frames_in_total', 'Frames received from the wire', () => host.counters.framesIn);
  total('hostsim_frames_out_total', 'Frames sent on the wire', () => host.counters.framesOut);
  total(
    'hostsim_frames_ignored_total',
    'Frames not for this host or not understood',
    () => host.counters.ignored,
  );
  total(
    'hostsim_vxlan_bad_total',
    'Datagrams with a bad VXLAN header or another VNI',
    () => port.counters.badHeader + port.counters.badVni,
  );
  total(
    'hostsim_vxlan_send_drops_total',
    'Frames dropped with too many sends in flight',
    () => port.counters.sendDrops,
  );
}
