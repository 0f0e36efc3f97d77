// rumpctl — a rump client command line, RUMP_SERVER as in NetBSD:
//   rumpctl ps                      processes of the kernel
//   rumpctl fstat [-p PID]          their open files
//   rumpctl ktrace [-p PID] [-s SYSCALL,...]   the live syscall trace (until Ctrl-C)
//   rumpctl halt                    halt the kernel (its server exits)
//   rumpctl ifconfig ARGS...        ifconfig(8) through the interface ioctls
//   rumpctl tcpdump -i IF -w FILE [-c N]   a capture of one interface, as pcap
// It sees inside the kernel the way any rump client can: /dev/kinfo, /dev/ktrace, reboot(2),
// whose record formats are sysproxy's. RUMP_SERVER and RUMP_AUTH_TOKEN come from the
// environment main() is given (the process's own by default), or --rump-server, --token-file.

import { readFile } from 'node:fs/promises';
import {
  type IfconfigCommand,
  IfconfigError,
  IfconfigUsageError,
  type IfconfigSyscalls,
  parseIfconfig,
  runIfconfig,
} from '@rumpflow/rump-net';
import { RumpClient } from '@rumpflow/rumpclient';
import { UsageError, defineOptions, formatHelp, parseCommandLine, type CommandSpec } from '@rumpflow/service';
import {
  KINFO_PATH,
  KTRACE_PATH,
  type KinfoSnapshot,
  type KtraceFilter,
  O,
  SyscallError,
  type TraceEvent,
  parseTokenFile,
} from '@rumpflow/sysproxy';
import { TCPDUMP_USAGE, parseTcpdump, tcpdump } from './tcpdump.js';

const options = defineOptions({
  help: { type: 'boolean', short: 'h', description: 'Show this help' },
  'rump-server': {
    type: 'string',
    env: 'RUMP_SERVER',
    valueName: 'URL',
    description: 'The rump kernel: unix:///path or tcp://host:port',
  },
  'token-file': {
    type: 'string',
    valueName: 'FILE',
    description: 'The token for a kernel that requires one: the first line of FILE (else $RUMP_AUTH_TOKEN)',
  },
  pid: { type: 'number', short: 'p', valueName: 'PID', description: 'fstat, ktrace: only this process' },
  syscalls: {
    type: 'string',
    short: 's',
    valueName: 'NAMES',
    description: 'ktrace: only these syscalls, comma-separated',
  },
  json: { type: 'boolean', description: 'ps, fstat: print JSON' },
});

const spec: CommandSpec<typeof options> = {
  name: 'rumpctl',
  summary: 'Look into and control a rump kernel as one of its clients. RUMP_SERVER selects the kernel.',
  options,
  positionals: {
    name: 'COMMAND',
    description: 'ps | fstat | ktrace | halt | ifconfig ARGS... | tcpdump ARGS...',
    min: 1,
    max: 1,
  },
  epilog: [
    'Commands:',
    '  ps, fstat [-p PID], ktrace [-p PID] [-s SYSCALLS], halt',
    '  ifconfig [-a | -C | IF [create | destroy | up | down | mtu N | tunnel SRC[:PORT] DST[:PORT] | -tunnel |',
    '            vnetid N | inet ADDR/LEN | add IF [portno N] | portno IF N | del IF | addlocal IF | datapath ID]...]',
    `  ${TCPDUMP_USAGE.replace('rumpctl ', '')}      (-w - writes to standard output)`,
    'Examples: RUMP_SERVER=unix:///tmp/rump.sock rumpctl ps',
    '  rumpctl ifconfig vxlan0 create tunnel 127.0.0.1:4801 127.0.0.1:4901 vnetid 42 up',
    '  rumpctl ifconfig switch0 create add vxlan0 portno 1 up; rumpctl ifconfig -a',
    '  rumpctl tcpdump -i vxlan0 -w vxlan0.pcap -c 10',
    'A kernel started with --auth-token-file: rumpctl --token-file FILE ps, or RUMP_AUTH_TOKEN=TOKEN rumpctl ps',
  ].join('\n'),
};

interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Binary output (tcpdump -w -). */
  bytes?(b: Uint8Array): void;
}

/** Commands whose own arguments follow them (ifconfig's -a, tcpdump's -i are theirs, not rumpctl's). */
const WITH_ARGS = new Set(['ifconfig', 'tcpdump']);
/** rumpctl's options that take a value in the next word. */
const VALUE_OPTIONS = new Set(['--rump-server', '--token-file', '--pid', '-p', '--syscalls', '-s']);

/** Split argv at a command that takes its own arguments: [rumpctl's part, the command's arguments]. */
function splitCommand(argv: readonly string[]): [string[], string[]] {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (WITH_ARGS.has(a)) return [argv.slice(0, i + 1), argv.slice(i + 1)];
    else if (!a.startsWith('-')) break;
  }
  return [[...argv], []];
}

/** rumpclient's calls as ifconfig's syscalls. */
function ifconfigSyscalls(c: RumpClient): IfconfigSyscalls {
  return {
    socket: (domain, type, protocol) => c.socket(domain, type, protocol),
    ioctl: async (fd, cmd, data) => (await c.ioctl(fd, cmd, data)).out,
    close: (fd) => c.close(fd),
  };
}

/** The token of --token-file: its first line, read as the server reads its own (parseTokenFile). */
async function readToken(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--token-file: ${(e as Error).message}`);
  }
  const token = parseTokenFile(text);
  if (token === '') throw new UsageError(`--token-file: ${file} has no token on its first line`);
  return token;
}

async function readAll(c: RumpClient, path: string): Promise<string> {
  const fd = await c.open(path, O.RDONLY);
  const parts: Uint8Array[] = [];
  for (;;) {
    const b = await c.read(fd, 65536);
    if (b.length === 0) break;
    parts.push(b);
  }
  await c.close(fd);
  return Buffer.concat(parts).toString('utf8');
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

const ACC = ['r', 'w', 'rw', '?'];
const flagText = (f: number) => `${ACC[f & 3]}${f & O.NONBLOCK ? ' nb' : ''}${f & O.APPEND ? ' ap' : ''}`;

/** The kernel's processes, from /dev/kinfo; says on stderr when the kernel had to leave some out. */
async function kinfo(c: RumpClient, io: Io): Promise<KinfoSnapshot> {
  const snapshot = JSON.parse(await readAll(c, KINFO_PATH)) as KinfoSnapshot;
  if (snapshot.truncated)
    io.err(
      `rumpctl: the kernel listed only the first ${snapshot.procs.length} processes (its snapshot size bound)\n`,
    );
  return snapshot;
}

async function ps(c: RumpClient, json: boolean, io: Io): Promise<void> {
  const { procs } = await kinfo(c, io);
  if (json) return io.out(`${JSON.stringify(procs, null, 2)}\n`);
  const rows = [['PID', 'CONN', 'CALLS', 'FDS', 'STARTED', 'COMMAND']];
  for (const p of procs)
    rows.push([
      String(p.pid),
      String(p.connections),
      String(p.callsInFlight),
      String(p.fds.length),
      p.startedAt,
      p.program,
    ]);
  io.out(`${table(rows)}\n`);
}

async function fstat(c: RumpClient, pid: number | undefined, json: boolean, io: Io): Promise<void> {
  const { procs } = await kinfo(c, io);
  const sel = procs.filter((p) => pid === undefined || p.pid === pid);
  if (pid !== undefined && sel.length === 0) throw new UsageError(`no process ${pid}`);
  if (json) return io.out(`${JSON.stringify(sel, null, 2)}\n`);
  const rows = [['COMMAND', 'PID', 'FD', 'TYPE', 'MODE', 'READ', 'WRITTEN', 'NAME']];
  for (const p of sel) {
    for (const f of p.fds)
      rows.push([
        p.program,
        String(p.pid),
        String(f.fd),
        f.kind,
        flagText(f.flags),
        String(f.bytesRead),
        String(f.bytesWritten),
        f.name,
      ]);
  }
  io.out(`${table(rows)}\n`);
}

/** One line in the manner of kdump: PID COMMAND CALL(args) = result. */
export function formatTrace(t: TraceEvent): string {
  const res = t.errno !== undefined ? `-1 errno ${t.errno}` : (t.result ?? '');
  const dropped = t.dropped ? `  [${t.dropped} lines dropped before this]` : '';
  return `${String(t.pid).padStart(5)} ${t.program.padEnd(12)} ${t.syscall}(${t.args}) = ${res}  ${t.durationMs} ms${dropped}`;
}

async function ktrace(
  c: RumpClient,
  pid: number | undefined,
  syscalls: string | undefined,
  io: Io,
  signal: AbortSignal,
): Promise<void> {
  const fd = await c.open(KTRACE_PATH, O.RDWR);
  const filter: KtraceFilter = {
    ...(pid !== undefined ? { pid } : {}),
    ...(syscalls ? { syscalls: syscalls.split(',').filter(Boolean) } : {}),
  };
  await c.write(fd, new TextEncoder().encode(JSON.stringify(filter)));
  let pending = '';
  while (!signal.aborted) {
    let b: Uint8Array;
    try {
      b = await c.read(fd, 65536, { signal });
    } catch (e) {
      if (signal.aborted) break;
      throw e;
    }
    pending += Buffer.from(b).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) if (l) io.out(`${formatTrace(JSON.parse(l) as TraceEvent)}\n`);
  }
}

/** Run rumpctl; returns the exit code. */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  io: Io = defaultIo,
  signal?: AbortSignal,
): Promise<number> {
  const [own, commandArgs] = splitCommand(argv);
  let parsed;
  try {
    parsed = await parseCommandLine(spec, { argv: own, env });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`rumpctl: ${e.message}\nTry 'rumpctl --help'\n`);
      return 2;
    }
    throw e;
  }
  if (parsed.help || parsed.values.help) {
    io.out(formatHelp(spec as CommandSpec));
    return 0;
  }
  const v = parsed.values;
  const command = parsed.positionals[0] as string;
  if (!['ps', 'fstat', 'ktrace', 'halt', 'ifconfig', 'tcpdump'].includes(command)) {
    io.err(`rumpctl: unknown command "${command}" (ps, fstat, ktrace, halt, ifconfig, tcpdump)\n`);
    return 2;
  }
  if (commandArgs.includes('--help') || commandArgs.includes('-h')) {
    io.out(formatHelp(spec as CommandSpec));
    return 0;
  }
  // the commands' own arguments are checked before any connection is made
  let ifCommand: IfconfigCommand | undefined;
  let dumpArgs;
  try {
    if (command === 'ifconfig') ifCommand = parseIfconfig(commandArgs);
    else if (command === 'tcpdump') dumpArgs = parseTcpdump(commandArgs);
  } catch (e) {
    if (e instanceof UsageError || e instanceof IfconfigUsageError) {
      io.err(`rumpctl: ${command === 'ifconfig' ? 'ifconfig: ' : ''}${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (v.rumpServer === undefined) {
    io.err('rumpctl: no rump kernel: set RUMP_SERVER (unix:///path or tcp://host:port) or --rump-server\n');
    return 2;
  }
  const ac = new AbortController();
  signal?.addEventListener('abort', () => ac.abort());
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  let c: RumpClient | undefined;
  try {
    const token = await readToken(v.tokenFile);
    // RUMP_AUTH_TOKEN from the same environment as RUMP_SERVER, not always the process's own
    c = await RumpClient.connect(v.rumpServer, {
      program: 'rumpctl',
      env,
      ...(token !== undefined ? { token } : {}),
    });
    switch (command) {
      case 'ps':
        await ps(c, v.json, io);
        break;
      case 'fstat':
        await fstat(c, v.pid, v.json, io);
        break;
      case 'ktrace':
        await ktrace(c, v.pid, v.syscalls, io, ac.signal);
        break;
      case 'halt':
        await c.syscall('reboot', [0]);
        io.out('halted\n');
        break;
      case 'ifconfig':
        if (ifCommand) io.out(await runIfconfig(ifCommand, ifconfigSyscalls(c)));
        break;
      case 'tcpdump':
        if (dumpArgs)
          await tcpdump(
            c,
            dumpArgs,
            { bytes: io.bytes ?? ((b) => void process.stdout.write(b)), err: io.err },
            ac.signal,
          );
        break;
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`rumpctl: ${e.message}\n`);
      return 2;
    }
    if (e instanceof IfconfigError) {
      io.err(`rumpctl: ifconfig: ${e.message}\n`);
      return 1;
    }
    if (e instanceof SyscallError) {
      io.err(`rumpctl: ${v.rumpServer}: ${command === 'tcpdump' ? 'tcpdump: ' : ''}${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
    c?.close();
  }
}

const defaultIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  bytes: (b) => void process.stdout.write(b),
};
