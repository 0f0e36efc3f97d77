// switchctl — switchd's control program (OpenBSD's switchctl(8), extended):
//   over switchd's control socket (-s PATH, $SWITCHD_SOCKET, default /var/run/switchd.sock):
//     show summary|switches|macs|connections|devices, connect SPEC [fail-mode M] [forward to URI]...,
//     disconnect SPEC, reload, load FILE, log verbose|brief, monitor
//   straight to a switch or a switchd listener over OpenFlow (no switchd needed):
//     dump desc|features|flows|tables|ports|groups|meters URI, flow add|modify|delete URI FLOW,
//     packet-out URI IN_PORT ACTIONS HEXFRAME

import { readFileSync } from 'node:fs';
import { UsageError, defineOptions, formatHelp, parseCommandLine, type CommandSpec } from '@rumpflow/service';
import {
  ControlError,
  controlMonitor,
  controlRequest,
  SHOW_WHAT,
  type ControlRequest,
  type ShowWhat,
} from '@rumpflow/switchd-core';
import { DirectUsageError, runDirect } from './direct.js';
import { formatShow } from './format.js';

const DEFAULT_SOCKET = '/var/run/switchd.sock';

const options = defineOptions({
  help: { type: 'boolean', short: 'h', description: 'Show this help' },
  socket: {
    type: 'string',
    short: 's',
    env: 'SWITCHD_SOCKET',
    valueName: 'PATH',
    default: DEFAULT_SOCKET,
    description: "switchd's control socket",
  },
  json: { type: 'boolean', description: 'show: print JSON' },
  timeout: {
    type: 'number',
    valueName: 'SECONDS',
    default: 10,
    description: 'How long to wait for an answer',
  },
  'private-key': { type: 'string', valueName: 'FILE', description: 'TLS private key (PEM) for tls: URIs' },
  certificate: { type: 'string', valueName: 'FILE', description: 'TLS certificate (PEM) for tls: URIs' },
  'ca-cert': {
    type: 'string',
    valueName: 'FILE',
    description: 'CA certificate (PEM) the switch must be signed by',
  },
});

const spec: CommandSpec<typeof options> = {
  name: 'switchctl',
  summary:
    "Control switchd through its control socket, or talk OpenFlow 1.3 to a switch or one of switchd's listeners directly.",
  options,
  positionals: { name: 'COMMAND', description: 'see below', min: 1 },
  epilog: [
    'Commands (switchd):',
    '  show summary | switches | macs | connections | devices',
    '  connect SPEC [fail-mode secure|standalone] [forward to URI]...    disconnect SPEC',
    '  reload     load FILE     log verbose|brief     monitor',
    'Commands (OpenFlow to URI = tcp:HOST:PORT | tls:HOST:PORT | unix:PATH):',
    '  dump desc|features|flows|tables|ports|groups|meters URI',
    '  flow add|modify|delete URI FLOW            (Open vSwitch flow syntax)',
    '  packet-out URI IN_PORT ACTIONS HEXFRAME',
    'Examples:',
    '  switchctl -s /tmp/switchd.sock show connections',
    '  switchctl dump flows tcp:127.0.0.1:6634',
    '  switchctl flow add tcp:127.0.0.1:6634 "priority=10,in_port=1,actions=output:2"',
  ].join('\n'),
};

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** The control request for a switchd command, or undefined for a direct OpenFlow command. */
export function controlRequestOf(args: readonly string[]): ControlRequest | undefined {
  const [cmd, ...rest] = args;
  const none = () => {
    if (rest.length > 0) throw new UsageError(`${cmd}: unexpected ${rest.join(' ')}`);
  };
  switch (cmd) {
    case 'show': {
      const what = rest[0] ?? 'summary';
      if (!SHOW_WHAT.includes(what as ShowWhat) || rest.length > 1)
        throw new UsageError(`show ${SHOW_WHAT.join(' | ')}`);
      return { cmd: 'show', what: what as ShowWhat };
    }
    case 'connect': {
      const device = rest[0];
      if (device === undefined)
        throw new UsageError('connect SPEC [fail-mode secure|standalone] [forward to URI]...');
      const forward: string[] = [];
      let failMode: 'secure' | 'standalone' | undefined;
      for (let i = 1; i < rest.length; i++) {
        if (rest[i] === 'fail-mode' && (rest[i + 1] === 'secure' || rest[i + 1] === 'standalone')) {
          failMode = rest[++i] as 'secure' | 'standalone';
        } else if (rest[i] === 'forward' && rest[i + 1] === 'to' && rest[i + 2] !== undefined) {
          forward.push(rest[i + 2] as string);
          i += 2;
        } else throw new UsageError(`connect: unexpected ${rest[i]}`);
      }
      return { cmd: 'connect', device, ...(failMode ? { failMode } : {}), forward };
    }
    case 'disconnect':
      if (rest.length !== 1) throw new UsageError('disconnect SPEC');
      return { cmd: 'disconnect', device: rest[0] as string };
    case 'reload':
      none();
      return { cmd: 'reload' };
    case 'load':
      if (rest.length !== 1) throw new UsageError('load FILE');
      return { cmd: 'load', file: rest[0] as string };
    case 'log':
      if (rest.length !== 1 || (rest[0] !== 'verbose' && rest[0] !== 'brief'))
        throw new UsageError('log verbose|brief');
      return { cmd: 'log', level: rest[0] };
    case 'monitor':
      none();
      return { cmd: 'monitor' };
    case 'dump':
    case 'flow':
    case 'packet-out':
      return undefined;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
  }
}

export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  io: Io = defaultIo,
  signal?: AbortSignal,
): Promise<number> {
  let v;
  let args: readonly string[];
  let req: ControlRequest | undefined;
  try {
    const parsed = await parseCommandLine(spec, { argv, env });
    if (parsed.help) {
      io.out(formatHelp(spec));
      return 0;
    }
    v = parsed.values;
    args = parsed.positionals;
    req = controlRequestOf(args);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`switchctl: ${e.message}\nTry 'switchctl --help' for more information.\n`);
      return 2;
    }
    throw e;
  }
  const timeoutMs = v.timeout * 1000;
  try {
    if (req === undefined) {
      const tls =
        v.privateKey !== undefined && v.certificate !== undefined
          ? {
              key: readFileSync(v.privateKey, 'utf8'),
              cert: readFileSync(v.certificate, 'utf8'),
              ...(v.caCert !== undefined ? { ca: readFileSync(v.caCert, 'utf8') } : {}),
            }
          : undefined;
      const text = await runDirect(args, tls, timeoutMs);
      if (text !== '') io.out(`${text}\n`);
      return 0;
    }
    if (req.cmd === 'monitor') {
      const stop = new AbortController();
      const onSigint = () => stop.abort();
      process.once('SIGINT', onSigint);
      signal?.addEventListener('abort', onSigint, { once: true });
      try {
        await controlMonitor(
          v.socket,
          (e, dropped) => {
            if (dropped > 0) io.out(`(${dropped} messages not shown: switchctl was too slow)\n`);
            io.out(
              `${e.time} ${e.device} ${e.dir === 'to-device' ? '<-' : e.dir === 'to-controller' ? '->' : '!!'} ${e.controller}: ${e.text}\n`,
            );
          },
          stop.signal,
        );
      } finally {
        process.off('SIGINT', onSigint);
      }
      return 0;
    }
    const result = await controlRequest(v.socket, req, timeoutMs);
    if (req.cmd === 'show' && !v.json) io.out(formatShow(req.what, result));
    else io.out(`${typeof result === 'string' ? result : JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof DirectUsageError) {
      io.err(`switchctl: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ControlError || e instanceof Error) {
      io.err(`switchctl: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
