// rumpflow-start (npm start): the whole topology on this machine; see README.md.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, defineOptions, formatHelp, parseCommandLine } from '@rumpflow/service';
import { launch } from './launcher.js';
import { BACKENDS, CONTROLLERS, type Backend, type Controller } from './topology.js';

const options = defineOptions({
  help: { type: 'boolean', short: 'h', description: 'Show this help and exit' },
  backend: {
    type: 'string',
    default: 'unix',
    choices: BACKENDS,
    description:
      'How switchd reaches /dev/switch0: unix (through swioproxyd), rump (a rumpclient in switchd), hijack (plain fs calls under rumphijack)',
  },
  controller: {
    type: 'string',
    default: 'ofc',
    choices: CONTROLLERS,
    description: 'The OpenFlow controller',
  },
  hosts: {
    type: 'number',
    default: 2,
    description: 'Number of hostsims (each pings the next)',
    check: (v) => (Number.isInteger(v) && v >= 1 && v <= 64 ? undefined : 'an integer 1..64'),
  },
  rate: {
    type: 'number',
    default: 5,
    description: 'Pings per second from each host',
    check: (v) => (v > 0 ? undefined : 'a positive number'),
  },
  'port-offset': {
    type: 'number',
    default: 0,
    description: 'Add this to every port (6653, 6634, 8080, 91xx admin, 48xx/49xx VXLAN)',
    check: (v) => (Number.isInteger(v) && v >= 0 && v <= 50000 ? undefined : 'an integer 0..50000'),
  },
  'run-dir': {
    type: 'string',
    valueName: 'DIR',
    description: 'Sockets, config and logs here (default a new temporary directory)',
  },
  duration: {
    type: 'number',
    default: 0,
    valueName: 'SECONDS',
    description: 'Stop after this long (0: at Ctrl-C); the exit status is 3 if no ping was answered',
  },
});

const spec = {
  name: 'npm start --',
  summary:
    'Start the whole rumpflow topology as processes on loopback and Unix sockets: rump-kernel-server (switch0 with VXLAN ports and vether0), swioproxyd, switchd, the controller and hostsims pinging each other. Prints a status table, then traffic every second; Ctrl-C stops everything and removes the run directory.',
  options,
};

try {
  const parsed = await parseCommandLine(spec, { argv: process.argv.slice(2), env: {} });
  if (parsed.help) {
    process.stdout.write(formatHelp(spec));
    process.exit(0);
  }
  const c = parsed.values;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const code = await launch({
    backend: c.backend as Backend,
    controller: c.controller as Controller,
    hosts: c.hosts,
    rate: c.rate,
    portOffset: c.portOffset,
    ...(c.runDir !== undefined ? { runDir: path.resolve(c.runDir) } : {}),
    duration: c.duration,
    root,
    node: process.execPath,
    out: (l) => process.stdout.write(`${l}\n`),
  });
  process.exit(code);
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`rumpflow-start: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
