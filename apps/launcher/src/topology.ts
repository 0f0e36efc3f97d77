// The plan of `npm start`: which processes to run, with which arguments, files and
// addresses, for a device backend, a controller and a number of hosts. Pure data: the
// supervisor (supervisor.ts) runs it, tests check it without starting anything.
//
//   hostsim i  --VXLAN/UDP-->  vxlan{i} of switch0 in rump-kernel-server (vether0 on LOCAL)
//   switch0's /dev/switch0  <--  swioproxyd (unix) | switchd itself (rump) | rumphijack (hijack)
//   switchd  --tcp-->  ofc or ovs-testcontroller;  ptcp listener for tools (ovs-ofctl, switchctl)

import path from 'node:path';

export const BACKENDS = ['unix', 'rump', 'hijack'] as const;
export type Backend = (typeof BACKENDS)[number];
export const CONTROLLERS = ['ofc', 'ovs-testcontroller'] as const;
export type Controller = (typeof CONTROLLERS)[number];

export interface PlanOptions {
  readonly backend: Backend;
  readonly controller: Controller;
  readonly hosts: number;
  /** Pings per second from each host to the next one. */
  readonly rate: number;
  /** Added to every TCP and UDP port (several topologies on one machine). */
  readonly portOffset: number;
  readonly runDir: string;
  /** The repository root (apps/NAME/bin/NAME.js are under it). */
  readonly root: string;
  /** The node binary. */
  readonly node: string;
}

export interface ServicePlan {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Addresses for the status table. */
  readonly addresses: readonly string[];
  /** How health is checked: an admin base URL (GET /healthz), or a TCP port that must accept. */
  readonly health: { readonly admin: string } | { readonly tcp: { host: string; port: number } };
  /** Unix socket files the service creates (removed if it leaves them). */
  readonly sockets: readonly string[];
}

export interface HostPlan {
  readonly name: string;
  readonly ip: string;
  readonly admin: string;
  readonly pings: string;
}

export interface Plan {
  readonly files: Readonly<Record<string, string>>;
  /** In start order; stopped in reverse. */
  readonly services: readonly ServicePlan[];
  readonly hosts: readonly HostPlan[];
  /** rump-kernel-server's admin URL (switch0's flow count). */
  readonly kernelAdmin: string;
  /** ofc's REST API, when ofc is the controller. */
  readonly ofcApi: string | undefined;
  readonly ports: {
    readonly openflow: number;
    readonly switchdPtcp: number;
    readonly api: number;
  };
}

export const VNI = 42;
const LOOPBACK = '127.0.0.1';

export function plan(o: PlanOptions): Plan {
  if (!Number.isInteger(o.hosts) || o.hosts < 1 || o.hosts > 64) throw new RangeError('hosts: 1..64');
  const p = (n: number) => n + o.portOffset;
  const run = (f: string) => path.join(o.runDir, f);
  const bin = (app: string, name = app) => path.join(o.root, 'apps', app, 'bin', `${name}.js`);
  const admin = (port: number) => `http://${LOOPBACK}:${p(port)}`;
  const adminArg = (port: number) => ['--admin', `${LOOPBACK}:${p(port)}`];
  const rumpServer = `unix://${run('rump.sock')}`;
  const ports = { openflow: p(6653), switchdPtcp: p(6634), api: p(8080) };
  const vxlanPorts = Math.max(4, o.hosts);
  const switchPort = (i: number) => p(4801 + i);
  const hostPort = (i: number) => p(4901 + i);

  const rc = [
    '# npm start: switch0 with one VXLAN port per host (at least four) and vether0 on LOCAL',
    ...Array.from(
      { length: vxlanPorts },
      (_, i) =>
        `ifconfig vxlan${i} create tunnel ${LOOPBACK}:${switchPort(i)} ${LOOPBACK}:${hostPort(i)} vnetid ${VNI} up`,
    ),
    'ifconfig vether0 create inet 10.0.0.254/24 up',
    'ifconfig switch0 create datapath 0x1',
    ...Array.from({ length: vxlanPorts }, (_, i) => `ifconfig switch0 add vxlan${i} portno ${i + 1}`),
    'ifconfig switch0 addlocal vether0',
    'ifconfig switch0 up',
    '',
  ].join('\n');

  const device =
    o.backend === 'unix'
      ? `unix:${run('switch0.sock')}`
      : o.backend === 'rump'
        ? 'rump:/dev/switch0'
        : '/rump/dev/switch0';
  const switchdConf = [
    `# npm start: switch0 through the ${o.backend} backend to the controller, and a listener for tools`,
    `device "${device}" fail-mode secure forward to tcp:${LOOPBACK}:${ports.openflow} forward to ptcp:${ports.switchdPtcp}:${LOOPBACK}`,
    '',
  ].join('\n');

  const services: ServicePlan[] = [];
  services.push({
    name: 'rump-kernel-server',
    command: o.node,
    args: [bin('rump-kernel-server'), '--rc', run('rc'), ...adminArg(9100), rumpServer],
    env: {},
    addresses: [rumpServer, `vxlan ${LOOPBACK}:${switchPort(0)}..${switchPort(vxlanPorts - 1)}`],
    health: { admin: admin(9100) },
    sockets: [run('rump.sock')],
  });
  if (o.controller === 'ofc') {
    services.push({
      name: 'ofc',
      command: o.node,
      args: [
        bin('ofc'),
        '--listen',
        `ptcp:${ports.openflow}:${LOOPBACK}`,
        '--app',
        'learning',
        '--api',
        `${LOOPBACK}:${ports.api}`,
        ...adminArg(9102),
      ],
      env: {},
      addresses: [`ptcp:${ports.openflow}`, `api http://${LOOPBACK}:${ports.api}`],
      health: { admin: admin(9102) },
      sockets: [],
    });
  } else {
    services.push({
      name: 'ovs-testcontroller',
      command: 'ovs-testcontroller',
      // its control socket in the run directory, not /var/run/openvswitch
      args: [`--unixctl=${run('ovs-testcontroller.ctl')}`, `ptcp:${ports.openflow}:${LOOPBACK}`],
      env: {},
      addresses: [`ptcp:${ports.openflow}`],
      health: { tcp: { host: LOOPBACK, port: ports.openflow } },
      sockets: [run('ovs-testcontroller.ctl')],
    });
  }
  if (o.backend === 'unix') {
    services.push({
      name: 'swioproxyd',
      command: o.node,
      args: [
        bin('swioproxyd'),
        '--listen',
        run('switch0.sock'),
        '--device',
        '/dev/switch0',
        ...adminArg(9101),
      ],
      env: { RUMP_SERVER: rumpServer },
      addresses: [`unix:${run('switch0.sock')}`],
      health: { admin: admin(9101) },
      sockets: [run('switch0.sock')],
    });
  }
  const switchdArgs = [
    bin('switchd'),
    '-f',
    run('switchd.conf'),
    '-s',
    run('switchd.sock'),
    ...adminArg(9103),
  ];
  services.push({
    name: 'switchd',
    command: o.node,
    args: o.backend === 'hijack' ? [bin('rumphijack'), o.node, ...switchdArgs] : switchdArgs,
    env: {
      RUMP_SERVER: rumpServer,
      ...(o.backend === 'hijack' ? { RUMPHIJACK: 'path=/rump', RUMPHIJACK_RETRYCONNECT: 'inftime' } : {}),
    },
    addresses: [`ptcp:${ports.switchdPtcp}`, `unix:${run('switchd.sock')}`, `device ${device}`],
    health: { admin: admin(9103) },
    sockets: [run('switchd.sock')],
  });

  const ipOf = (i: number) => `10.0.0.${i + 1}`;
  const hosts: HostPlan[] = [];
  for (let i = 0; i < o.hosts; i++) {
    const name = `hostsim${i + 1}`;
    // each host pings the next (with two hosts: each other)
    const peer = o.hosts > 1 ? ipOf((i + 1) % o.hosts) : '10.0.0.254';
    hosts.push({ name, ip: ipOf(i), admin: admin(9201 + i), pings: peer });
    services.push({
      name,
      command: o.node,
      args: [
        bin('hostsim'),
        '--local',
        `${LOOPBACK}:${hostPort(i)}`,
        '--remote',
        `${LOOPBACK}:${switchPort(i)}`,
        '--vni',
        String(VNI),
        '--ip',
        `${ipOf(i)}/24`,
        '--ping',
        peer,
        '--ping-rate',
        String(o.rate),
        ...adminArg(9201 + i),
      ],
      env: {},
      addresses: [`${ipOf(i)} vxlan ${LOOPBACK}:${hostPort(i)}`],
      health: { admin: admin(9201 + i) },
      sockets: [],
    });
  }

  return {
    files: { rc, 'switchd.conf': switchdConf },
    services,
    hosts,
    kernelAdmin: admin(9100),
    ofcApi: o.controller === 'ofc' ? `http://${LOOPBACK}:${ports.api}` : undefined,
    ports,
  };
}
