// What the admin API and the info devices show of a kernel: processes with their open files
// (NetBSD's fstat), and the stream of completed syscalls (its ktrace/kdump), as plain JSON-able
// values. The record formats are sysproxy's (kinfo.ts there), shared with the clients.

import { type FileInfo, type KtraceFilter, type ProcessInfo, type TraceEvent, type Value, errnoName } from '@rumpflow/sysproxy';
import type { Kernel, SyscallRecord } from './kernel.js';
import { Kqueue } from './kqueue.js';
import type { Process } from './process.js';

export type { FileInfo, ProcessInfo, TraceEvent };

/** One process as kinfo lists it, its fds in order. */
export function processInfo(p: Process): ProcessInfo {
  return {
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
  };
}

export function listProcesses(k: Kernel): ProcessInfo[] {
  return [...k.processes.values()].map(processInfo);
}

/** Total kqueue registrations across the kernel. */
export function kqueueRegistrations(k: Kernel): number {
  let n = 0;
  for (const p of k.processes.values()) for (const e of p.fds.values()) if (e.file.object instanceof Kqueue) n += e.file.object.registrations;
  return n;
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

/** Which calls a trace reader wants (the /dev/ktrace filter; ?pid= and ?syscall= of /v1/ktrace). */
export type TraceFilter = Readonly<KtraceFilter>;

export function traceMatches(f: TraceFilter, r: SyscallRecord): boolean {
  return (f.pid === undefined || f.pid === r.pid) && (f.syscalls === undefined || f.syscalls.length === 0 || f.syscalls.includes(r.syscall));
}
