// What the admin API shows of a kernel: processes with their open files (NetBSD's fstat),
// and the stream of completed syscalls (its ktrace/kdump), as plain JSON-able values.

import { type Value, errnoName } from '@rumpflow/sysproxy';
import type { Kernel, SyscallRecord } from './kernel.js';
import { Kqueue } from './kqueue.js';

export interface FileInfo {
  fd: number;
  kind: string;
  name: string;
  flags: number;
  cloexec: boolean;
  references: number;
  bytesRead: number;
  bytesWritten: number;
  kqueueRegistrations?: number;
}

export interface ProcessInfo {
  pid: number;
  program: string;
  connections: number;
  callsInFlight: number;
  startedAt: string;
  fds: FileInfo[];
}

export function listProcesses(k: Kernel): ProcessInfo[] {
  return [...k.processes.values()].map((p) => ({
    pid: p.pid,
    program: p.program,
    connections: p.connections,
    callsInFlight: p.callsInFlight,
    startedAt: new Date(p.started).toISOString(),
    fds: [...p.fds.entries()]
      .sort(([a], [b]) => a - b)
      .map(([fd, e]) => ({
        fd,
        kind: e.file.object.kind,
        name: e.file.object.name,
        flags: e.file.flags,
        cloexec: e.cloexec,
        references: e.file.references,
        bytesRead: e.file.bytesRead,
        bytesWritten: e.file.bytesWritten,
        ...(e.file.object instanceof Kqueue ? { kqueueRegistrations: e.file.object.registrations } : {}),
      })),
  }));
}

/** Total kqueue registrations across the kernel. */
export function kqueueRegistrations(k: Kernel): number {
  let n = 0;
  for (const p of k.processes.values()) for (const e of p.fds.values()) if (e.file.object instanceof Kqueue) n += e.file.object.registrations;
  return n;
}

/** One line of the trace, JSON-able. */
export interface TraceEvent {
  time: string;
  pid: number;
  program: string;
  syscall: string;
  args: string;
  result?: string;
  errno?: string;
  durationMs: number;
}

/** A short text of values: ints as numbers, bytes as their length, strings quoted. */
export function summarize(values: readonly Value[], max = 120): string {
  const one = (v: Value): string => {
    if (v === null) return 'NULL';
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    if (v instanceof Uint8Array) return `<${v.length} bytes>`;
    return `[${v.map(one).join(', ')}]`;
  };
  const s = values.map(one).join(', ');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function traceEvent(r: SyscallRecord): TraceEvent {
  return {
    time: new Date(r.startedAt).toISOString(),
    pid: r.pid,
    program: r.program,
    syscall: r.syscall,
    args: summarize(r.args),
    ...(r.results ? { result: summarize(r.results) } : {}),
    ...(r.errno !== undefined ? { errno: errnoName(r.errno) } : {}),
    durationMs: r.durationMs,
  };
}

export interface TraceFilter {
  readonly pid?: number;
  readonly syscalls?: readonly string[];
}

export function traceMatches(f: TraceFilter, r: SyscallRecord): boolean {
  return (f.pid === undefined || f.pid === r.pid) && (f.syscalls === undefined || f.syscalls.length === 0 || f.syscalls.includes(r.syscall));
}
