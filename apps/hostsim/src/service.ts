// hostsim as a service definition: options, and the wiring of the host engine (host.ts) to
// its VXLAN port, pacers, admin routes, metrics, health and periodic log report.
// src/main.ts runs it; tests start it in-process with startService(hostsim, { argv }).

import { EndpointError, parseHostPort } from '@rumpflow/endpoint';
import { ipv4FromString } from '@rumpflow/packet';
import { type ServiceDefinition, UsageError, checkHostPort, defineOptions } from '@rumpflow/service';
import { hostMetrics, hostRoutes } from './admin.js';
import { Host } from './host.js';
import { Pacer } from './pacer.js';
import { VxlanPort } from './vxlan-port.js';

export const VERSION = '0.1.0';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

const checkIp = (v: string) => (IPV4.test(v) ? undefined : 'an IPv4 address such as 10.0.0.2');
const positive = (v: number) => (v > 0 && Number.isFinite(v) ? undefined : 'a positive number');
const intIn = (lo: number, hi: number) => (v: number) =>
  Number.isInteger(v) && v >= lo && v <= hi ? undefined : `an integer ${lo}..${hi}`;

/** ADDR/LEN or ADDR (then /24). */
export function parseInet(text: string): { ip: string; prefixLen: number } {
  const [ip = '', len] = text.split('/');
  const prefixLen = len === undefined ? 24 : Number(len);
  if (!IPV4.test(ip) || !Number.isInteger(prefixLen) || prefixLen < 1 || prefixLen > 32)
    throw new UsageError(`--ip ${text}: expected ADDR[/LEN] such as 10.0.0.1/24`);
  return { ip, prefixLen };
}

/** A locally administered unicast MAC from the IPv4 address: 02:00:a.b.c.d in hex. */
export function macFromIp(ip: string): string {
  const bytes = [2, 0, ...ip.split('.').map(Number)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function sameSubnet(a: string, b: string, len: number): boolean {
  const mask = len === 32 ? 0xffffffff : ~(0xffffffff >>> len) >>> 0;
  return (ipv4FromString(a) & mask) >>> 0 === (ipv4FromString(b) & mask) >>> 0;
}

function udpTarget(text: string): { ip: string; port: number } {
  const [ip = '', port] = text.split(':');
  const n = Number(port);
  if (!IPV4.test(ip) || !Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`--udp ${text}: expected IP:PORT such as 10.0.0.2:5001`);
  return { ip, port: n };
}

export const options = defineOptions({
  local: {
    type: 'string',
    valueName: 'HOST:PORT',
    required: true,
    description:
      "This host's end of the tunnel: the UDP address it binds (the switch port's tunnel destination)",
    check: checkHostPort,
  },
  remote: {
    type: 'string',
    valueName: 'HOST:PORT',
    required: true,
    description: "The switch's VXLAN port: where frames are sent (the port's tunnel source)",
    check: checkHostPort,
  },
  vni: {
    type: 'number',
    valueName: 'N',
    default: 0,
    description: 'VXLAN network identifier',
    check: intIn(0, 0xffffff),
  },
  ip: {
    type: 'string',
    valueName: 'ADDR[/LEN]',
    required: true,
    description: 'IPv4 address and prefix length (default /24); peers must be on this subnet',
  },
  mac: {
    type: 'string',
    valueName: 'MAC',
    description: 'Ethernet address (default 02:00 followed by the IPv4 address)',
    check: (v) => (MAC.test(v) ? undefined : 'a MAC address such as 02:00:0a:00:00:01'),
  },
  ping: {
    type: 'string[]',
    valueName: 'IP',
    description: 'Ping this peer (repeatable)',
    check: (vs) => vs.map(checkIp).find((m) => m !== undefined),
  },
  'ping-rate': {
    type: 'number',
    valueName: 'N',
    default: 1,
    description: 'Pings per second to each peer',
    check: positive,
  },
  'ping-size': {
    type: 'number',
    valueName: 'BYTES',
    default: 56,
    description: 'ICMP echo data bytes',
    check: intIn(0, 1472),
  },
  'ping-timeout': {
    type: 'number',
    valueName: 'SECONDS',
    default: 1,
    description: 'A ping not answered this long is lost',
    check: positive,
  },
  udp: {
    type: 'string[]',
    valueName: 'IP:PORT',
    description:
      'Send a numbered UDP flow to this peer and port (repeatable); the peer counts what is missing',
  },
  'udp-rate': {
    type: 'number',
    valueName: 'N',
    default: 10,
    description: 'UDP datagrams per second to each --udp',
    check: positive,
  },
  'udp-size': {
    type: 'number',
    valueName: 'BYTES',
    default: 64,
    description: 'UDP payload bytes',
    check: intIn(8, 1464),
  },
  'report-interval': {
    type: 'number',
    valueName: 'SECONDS',
    default: 10,
    description: "Log each peer's counts, loss and round-trip times this often (0: never)",
    check: (v) => (v >= 0 && Number.isFinite(v) ? undefined : 'a number of seconds, 0 for never'),
  },
});

export const hostsim: ServiceDefinition<typeof options> = {
  name: 'hostsim',
  version: VERSION,
  summary:
    'A simulated host on a VXLAN port: one MAC and IPv4 address behind a UDP socket. It answers ARP and ICMP echo, pings its peers and sends them numbered UDP flows at a chosen rate, and reports loss and round-trip times (p50/p99) on its admin API (/v1/stats, /metrics, /healthz) and in its log.',
  options,
  envPrefix: 'HOSTSIM',
  epilog: [
    'Examples (a switch port made with `rumpctl ifconfig vxlan0 create tunnel 127.0.0.1:4801 127.0.0.1:4901 vnetid 42 up`):',
    '  hostsim --local 127.0.0.1:4901 --remote 127.0.0.1:4801 --vni 42 --ip 10.0.0.1/24 --ping 10.0.0.2 --admin :9201',
    '  hostsim --local 127.0.0.1:4902 --remote 127.0.0.1:4802 --vni 42 --ip 10.0.0.2 --udp 10.0.0.1:5001 --udp-rate 1000',
    '  curl -s 127.0.0.1:9201/v1/stats',
  ].join('\n'),
  async main(ctx) {
    const c = ctx.config;
    const addr = (flag: string, v: string) => {
      try {
        return parseHostPort(v);
      } catch (e) {
        if (e instanceof EndpointError) throw new UsageError(`--${flag}: ${e.message}`);
        throw e;
      }
    };
    const local = addr('local', c.local);
    const remote = addr('remote', c.remote);
    const { ip, prefixLen } = parseInet(c.ip);
    const mac = c.mac ?? macFromIp(ip);
    const udp = c.udp.map(udpTarget);
    for (const peer of [...c.ping, ...udp.map((u) => u.ip)]) {
      if (peer === ip) throw new UsageError(`${peer} is this host's own address`);
      if (!sameSubnet(peer, ip, prefixLen))
        throw new UsageError(`${peer} is not on ${ip}/${prefixLen} (hostsim has no router)`);
    }

    const port: VxlanPort = new VxlanPort({ local, remote, vni: c.vni, onFrame: (f) => host.input(f) });
    const host = new Host({ mac, ip, send: (f) => port.send(f), pingTimeoutMs: c.pingTimeout * 1000 });
    const identity = { mac, ip: `${ip}/${prefixLen}`, vni: c.vni, remote: `${remote.host}:${remote.port}` };
    const log = ctx.log('host');

    ctx.addRoutes(hostRoutes(host, port, identity));
    hostMetrics(ctx.metrics, host, port);
    ctx.addHealthCheck('vxlan', () => ({
      ok: port.address !== undefined,
      detail: { ...identity, local: port.address ? `${port.address.host}:${port.address.port}` : null },
    }));

    const pacers: Pacer[] = [];
    if (c.ping.length > 0)
      pacers.push(
        new Pacer(c.pingRate, (n) => {
          for (let i = 0; i < n; i++) for (const p of c.ping) host.ping(p, c.pingSize);
        }),
      );
    if (udp.length > 0)
      pacers.push(
        new Pacer(c.udpRate, (n) => {
          for (let i = 0; i < n; i++) for (const u of udp) host.udp(u.ip, u.port, c.udpSize);
        }),
      );
    let expiry: NodeJS.Timeout | undefined;
    let report: NodeJS.Timeout | undefined;

    ctx.addComponent({
      name: 'host',
      start: async () => {
        const at = await port.open();
        log.info(
          { ...identity, local: `${at.host}:${at.port}` },
          `host ${ip} (${mac}) on vxlan ${at.host}:${at.port} -> ${remote.host}:${remote.port} vni ${c.vni}`,
        );
        expiry = setInterval(() => host.tick(), 100);
        for (const p of pacers) p.start();
        if (c.reportInterval > 0)
          report = setInterval(() => {
            for (const s of host.stats()) {
              const rtt = s.rttMs;
              log.info(
                { peer: s, ...host.counters },
                `${s.ip}: ${s.pingsSent} pings, ${s.pingReplies} replies, ${(s.pingLoss * 100).toFixed(1)}% loss` +
                  (rtt ? `, rtt p50 ${rtt.p50.toFixed(3)} ms p99 ${rtt.p99.toFixed(3)} ms` : '') +
                  (s.udpSent + s.udpReceived > 0
                    ? `; udp ${s.udpSent} sent, ${s.udpReceived} received, ${s.udpLost} lost`
                    : ''),
              );
            }
          }, c.reportInterval * 1000);
      },
      stop: async () => {
        for (const p of pacers) p.stop();
        clearInterval(expiry);
        clearInterval(report);
        await port.close();
      },
    });
  },
};
