// rump-kernel-server [options] URL... — the rump kernel behind sysproxy listeners.

import { readFileSync } from 'node:fs';
import { type RumpServerUrl, EndpointError, parseRumpServer } from '@rumpflow/endpoint';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  Kernel,
  MAX_FDS_LIMIT,
  PID_MAX,
  RumpServer,
} from '@rumpflow/rump-kernel';
import { UsageError, defineOptions, runService } from '@rumpflow/service';
import { DEFAULT_MAX_FRAME, parseTokenFile } from '@rumpflow/sysproxy';
import { adminRoutes, kernelMetrics } from './admin.js';

const VERSION = '0.1.0';
/** Bytes of a reply frame that are not data: header, errno, the value tags around it. */
const REPLY_OVERHEAD = 64;

const options = defineOptions({
  rc: {
    type: 'string',
    valueName: 'FILE',
    description:
      'Run the lines of FILE at boot (rumpctl syntax: ifconfig ...; # comments); the first failing line stops boot',
  },
  'max-flows': {
    type: 'number',
    default: 262144,
    valueName: 'N',
    description: 'Flow entries per table of each switch before TABLE_FULL',
    check: (v) => integerIn(v, 1, 16 * 1024 * 1024),
  },
  'socket-mode': {
    type: 'string',
    default: '0600',
    valueName: 'MODE',
    description: 'Mode of Unix socket files, octal',
    check: (v) => (/^0?[0-7]{3}$/.test(v) ? undefined : 'an octal mode such as 0600 or 0660'),
  },
  'allow-remote': {
    type: 'boolean',
    description: 'Allow tcp:// listeners on addresses other than loopback (only with --auth-token-file)',
  },
  'auth-token-file': {
    type: 'string',
    valueName: 'FILE',
    description: 'Require clients to present the token on the first line of FILE',
  },
  'max-frame': {
    type: 'number',
    default: DEFAULT_MAX_FRAME,
    valueName: 'BYTES',
    description: 'Largest sysproxy frame accepted and sent (reads return at most this less 64 bytes)',
    check: (v) =>
      Number.isInteger(v) && v >= 1024 && v <= 64 * 1024 * 1024 ? undefined : 'from 1024 to 67108864',
  },
  'max-procs': {
    type: 'number',
    default: 4096,
    valueName: 'N',
    description: 'Most processes at once',
    check: (v) => integerIn(v, 1, PID_MAX),
  },
  'max-fds': {
    type: 'number',
    default: 1024,
    valueName: 'N',
    description: 'Most fds per process',
    check: (v) => integerIn(v, 1, MAX_FDS_LIMIT),
  },
  'max-connections': {
    type: 'number',
    default: DEFAULT_MAX_CONNECTIONS,
    valueName: 'N',
    description: 'Most client connections at once; more are closed as they come',
    check: (v) => integerIn(v, 1, 1_000_000),
  },
  'handshake-timeout': {
    type: 'number',
    default: DEFAULT_HANDSHAKE_TIMEOUT_MS / 1000,
    valueName: 'SECONDS',
    description: 'A connection that has not handshaken by then is closed',
    check: (v) => (v > 0 && v <= 3600 ? undefined : 'more than 0, at most 3600'),
  },
});

function integerIn(v: number, min: number, max: number): string | undefined {
  return Number.isInteger(v) && v >= min && v <= max ? undefined : `an integer from ${min} to ${max}`;
}

function parseUrls(texts: readonly string[]): RumpServerUrl[] {
  try {
    return texts.map(parseRumpServer);
  } catch (e) {
    if (e instanceof EndpointError) throw new UsageError(e.message);
    throw e;
  }
}

/** The token of --auth-token-file: its first line (sysproxy's parseTokenFile, as every client reads it). */
function readAuthToken(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--auth-token-file: ${(e as Error).message}`);
  }
  const token = parseTokenFile(text);
  if (token === '') throw new UsageError(`--auth-token-file: ${file} has no token on its first line`);
  return token;
}

/** The text of --rc FILE (a missing or unreadable file is a usage error). */
function readRc(file: string | undefined): { file: string; text: string } | undefined {
  if (file === undefined) return undefined;
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (e) {
    throw new UsageError(`--rc: ${(e as Error).message}`);
  }
}

await runService({
  name: 'rump-kernel-server',
  version: VERSION,
  summary:
    'A rump kernel: each client connection is a process with its own fd table; devices under /dev; syscalls over the sysproxy protocol. Listens on every URL given: unix:///path (mode 0600 unless --socket-mode) or tcp://addr:port (loopback unless --allow-remote, which needs --auth-token-file).',
  options,
  positionals: { name: 'URL', description: 'unix:///path or tcp://host:port to listen on', min: 1 },
  envPrefix: 'RUMP_KERNEL_SERVER',
  epilog:
    'Example: rump-kernel-server --admin :9100 unix:///tmp/rump.sock\nThen: RUMP_SERVER=unix:///tmp/rump.sock rumpctl ps',
  async main(ctx) {
    const c = ctx.config;
    const urls = parseUrls(ctx.positionals);
    const authToken = readAuthToken(c.authTokenFile);
    // whoever reaches a listener can make any syscall, reboot(2) included
    if (c.allowRemote && authToken === undefined) {
      throw new UsageError('--allow-remote needs --auth-token-file: remote clients must present a token');
    }
    const kernel = new Kernel({
      maxFds: c.maxFds,
      maxProcesses: c.maxProcs,
      maxIo: c.maxFrame - REPLY_OVERHEAD,
    });
    const server = new RumpServer(kernel, {
      ...(authToken !== undefined ? { authToken } : {}),
      maxFrame: c.maxFrame,
      socketMode: parseInt(c.socketMode, 8),
      allowRemote: c.allowRemote,
      maxConnections: c.maxConnections,
      handshakeTimeoutMs: c.handshakeTimeout * 1000,
      version: VERSION,
      listenUnix: (s, path, mode) => ctx.listenUnix(s, path, mode),
    });
    for (const u of urls) {
      try {
        server.check(u);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const log = ctx.log('sysproxy');
    kernel.onHalt = () => ctx.shutdown('halted by reboot(2)');
    const rc = readRc(c.rc);
    kernelMetrics(kernel, server, ctx.metrics);
    ctx.addRoutes(adminRoutes(kernel, server));
    // loaded once the command line is checked: a usage error exits without loading it
    const { setUpNetwork } = await import('./network.js');
    setUpNetwork(kernel, ctx, { rc, maxFlowsPerTable: c.maxFlows });
    ctx.addHealthCheck('listeners', () => ({
      ok: server.listeners.length === urls.length,
      detail: server.listeners.map((l) => l.url).join(' ') || 'not listening yet',
    }));
    ctx.addComponent({
      name: 'sysproxy',
      start: async () => {
        for (const u of urls) {
          const l = await server.listen(u);
          log.info({ url: l.url, auth: authToken ? 'token' : 'none' }, 'listening');
        }
      },
      stop: () => server.close(),
    });
  },
});
