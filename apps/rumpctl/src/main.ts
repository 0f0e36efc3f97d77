// rumpctl — a rump client command line, RUMP_SERVER as in NetBSD:
//   rumpctl ps                      processes of the kernel
//   rumpctl fstat [-p PID]          their open files
//   rumpctl ktrace [-p PID] [-s SYSCALL,...]   the live syscall trace (until Ctrl-C)
//   rumpctl halt                    halt the kernel (its server exits)
// It sees inside the kernel the way any rump client can: /dev/kinfo, /dev/ktrace, reboot(2),
// whose record formats are sysproxy's. RUMP_SERVER and RUMP_AUTH_TOKEN come from the
// environment main() is given (the process's own by default), or --rump-server, --token-file.

import { readFile } from 'node:fs/promises';
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

const options = defineOptions({
  help: { type: 'boolean', short: 'h', description: 'Show this help' },
  'rump-server': { type: 'string', env: 'RUMP_SERVER', valueName: 'URL', description: 'The rump kernel: unix:///path or tcp://host:port' },
  'token-file': {
    type: 'string',
    valueName: 'FILE',
    description: 'The token for a kernel that requires one: the first line of FILE (else $RUMP_AUTH_TOKEN)',
  },
  pid: { type: 'number', short: 'p', valueName: 'PID', description: 'fstat, ktrace: only this process' },
  syscalls: { type: 'string', short: 's', valueName: 'NAMES', description: 'ktrace: only these syscalls, comma-separated' },
  json: { type: 'boolean', description: 'ps, fstat: print JSON' },
});

const spec: CommandSpec<typeof options> = {
  name: 'rumpctl',
  summary: 'Look into and control a rump kernel as one of its clients. RUMP_SERVER selects the kernel.',
  options,
  positionals: { name: 'COMMAND', description: 'ps | fstat | ktrace | halt', min: 1, max: 1 },
  epilog: 'Example: RUMP_SERVER=unix:///tmp/rump.sock rumpctl ps\nA kernel started with --auth-token-file: rumpctl --token-file FILE ps, or RUMP_AUTH_TOKEN=TOKEN rumpctl ps',
};

interface Io {
  out(text: string): void;
  err(text: string): void;
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
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

const ACC = ['r', 'w', 'rw', '?'];
const flagText = (f: number) => `${ACC[f & 3]}${f & O.NONBLOCK ? ' nb' : ''}${f & O.APPEND ? ' ap' : ''}`;

/** The kernel's processes, from /dev/kinfo; says on stderr when the kernel had to leave some out. */
async function kinfo(c: RumpClient, io: Io): Promise<KinfoSnapshot> {
  const snapshot = JSON.parse(await readAll(c, KINFO_PATH)) as KinfoSnapshot;
  if (snapshot.truncated) io.err(`rumpctl: the kernel listed only the first ${snapshot.procs.length} processes (its snapshot size bound)\n`);
  return snapshot;
}

async function ps(c: RumpClient, json: boolean, io: Io): Promise<void> {
  const { procs } = await kinfo(c, io);
  if (json) return io.out(`${JSON.stringify(procs, null, 2)}\n`);
  const rows = [['PID', 'CONN', 'CALLS', 'FDS', 'STARTED', 'COMMAND']];
  for (const p of procs) rows.push([String(p.pid), String(p.connections), String(p.callsInFlight), String(p.fds.length), p.startedAt, p.program]);
  io.out(`${table(rows)}\n`);
}

async function fstat(c: RumpClient, pid: number | undefined, json: boolean, io: Io): Promise<void> {
  const { procs } = await kinfo(c, io);
  const sel = procs.filter((p) => pid === undefined || p.pid === pid);
  if (pid !== undefined && sel.length === 0) throw new UsageError(`no process ${pid}`);
  if (json) return io.out(`${JSON.stringify(sel, null, 2)}\n`);
  const rows = [['COMMAND', 'PID', 'FD', 'TYPE', 'MODE', 'READ', 'WRITTEN', 'NAME']];
  for (const p of sel) {
    for (const f of p.fds) rows.push([p.program, String(p.pid), String(f.fd), f.kind, flagText(f.flags), String(f.bytesRead), String(f.bytesWritten), f.name]);
  }
  io.out(`${table(rows)}\n`);
}

/** One line in the manner of kdump: PID COMMAND CALL(args) = result. */
export function formatTrace(t: TraceEvent): string {
  const res = t.errno !== undefined ? `-1 errno ${t.errno}` : (t.result ?? '');
  const dropped = t.dropped ? `  [${t.dropped} lines dropped before this]` : '';
  return `${String(t.pid).padStart(5)} ${t.program.padEnd(12)} ${t.syscall}(${t.args}) = ${res}  ${t.durationMs} ms${dropped}`;
}

async function ktrace(c: RumpClient, pid: number | undefined, syscalls: string | undefined, io: Io, signal: AbortSignal): Promise<void> {
  const fd = await c.open(KTRACE_PATH, O.RDWR);
  const filter: KtraceFilter = { ...(pid !== undefined ? { pid } : {}), ...(syscalls ? { syscalls: syscalls.split(',').filter(Boolean) } : {}) };
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
export async function main(argv: string[], env: Record<string, string | undefined>, io: Io = defaultIo, signal?: AbortSignal): Promise<number> {
  let parsed;
  try {
    parsed = await parseCommandLine(spec, { argv, env });
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
  if (!['ps', 'fstat', 'ktrace', 'halt'].includes(command)) {
    io.err(`rumpctl: unknown command "${command}" (ps, fstat, ktrace, halt)\n`);
    return 2;
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
    c = await RumpClient.connect(v.rumpServer, { program: 'rumpctl', env, ...(token !== undefined ? { token } : {}) });
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
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`rumpctl: ${e.message}\n`);
      return 2;
    }
    if (e instanceof SyscallError) {
      io.err(`rumpctl: ${v.rumpServer}: ${e.message}\n`);
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
};
