// The kernel's admin API: metrics, /v1/procs (what NetBSD's fstat shows) and the /v1/ktrace
// stream of completed syscalls, filterable by pid and syscall.

import { Counter, type Registry, type RoutesPlugin, scrapedCounter, scrapedGauge } from '@rumpflow/service';
import { type Kernel, type RumpServer, type Session, type TraceFilter, kqueueRegistrations, listProcesses, traceEvent, traceMatches } from '@rumpflow/rump-kernel';
import { SYSCALLS, errnoName } from '@rumpflow/sysproxy';

/** The syscall label of a record: its name, or 'unknown' for a number the table lacks (a label per number would be unbounded). */
const syscallLabel = (name: string): string => (Object.hasOwn(SYSCALLS, name) ? name : 'unknown');

const sumOver = (sessions: Iterable<Session>, f: (s: Session) => number): number => {
  let n = 0;
  for (const s of sessions) n += f(s);
  return n;
};

export function kernelMetrics(kernel: Kernel, server: RumpServer, registers: Registry): void {
  const reg = [registers];
  const gauge = (name: string, help: string, value: () => number) => scrapedGauge(registers, name, help, value);
  const counter = (name: string, help: string, total: () => number) => scrapedCounter(registers, name, help, total);
  gauge('rumpkernel_processes', 'Processes in the kernel', () => kernel.processes.size);
  gauge('rumpkernel_fds', 'Open fds over all processes', () => [...kernel.processes.values()].reduce((n, p) => n + p.fds.size, 0));
  gauge('rumpkernel_calls_in_flight', 'Syscalls in progress or blocked', () => sumOver(server.sessions, (s) => s.callsInFlight));
  gauge('rumpkernel_calls_held', 'Syscalls waiting for their connection\'s reply budget', () => sumOver(server.sessions, (s) => s.callsHeld));
  gauge('rumpkernel_reply_bytes', 'Reply bytes unsent or reserved by calls in flight, over all connections', () => sumOver(server.sessions, (s) => s.replyBytes));
  gauge('rumpkernel_kqueue_registrations', 'kevent registrations over all kqueues', () => kqueueRegistrations(kernel));
  gauge('rumpkernel_connections', 'Open sysproxy connections', () => server.sessions.size);
  counter('rumpkernel_connections_refused_total', 'Connections closed at once: --max-connections were open', () => server.refused);
  counter('rumpkernel_bytes_in_total', 'Bytes received from clients', () => server.totals().bytesIn);
  counter('rumpkernel_bytes_out_total', 'Bytes sent to clients', () => server.totals().bytesOut);
  counter('rumpkernel_protocol_errors_total', 'Frames refused as malformed', () => server.totals().protocolErrors);
  const calls = new Counter({ name: 'rumpkernel_syscalls_total', help: 'Completed syscalls by name and errno', labelNames: ['syscall', 'errno'], registers: reg });
  kernel.trace.subscribe((r) => calls.inc({ syscall: syscallLabel(r.syscall), errno: r.errno === undefined ? '0' : errnoName(r.errno) }));
}

const procSchema = {
  type: 'object',
  properties: {
    pid: { type: 'integer' },
    program: { type: 'string' },
    connections: { type: 'integer' },
    callsInFlight: { type: 'integer' },
    startedAt: { type: 'string' },
    fds: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          fd: { type: 'integer' },
          kind: { type: 'string' },
          name: { type: 'string' },
          flags: { type: 'integer' },
          cloexec: { type: 'boolean' },
          references: { type: 'integer' },
          bytesRead: { type: 'integer' },
          bytesWritten: { type: 'integer' },
          kqueueRegistrations: { type: 'integer' },
        },
      },
    },
  },
} as const;

export function adminRoutes(kernel: Kernel, server: RumpServer): RoutesPlugin {
  const tap = kernel.trace;
  return async (app) => {
    app.get(
      '/v1/procs',
      {
        schema: {
          summary: 'Processes with their connections and open fds (fstat)',
          querystring: { type: 'object', properties: { pid: { type: 'integer', minimum: 1 } }, additionalProperties: false },
          response: { 200: { type: 'object', properties: { procs: { type: 'array', items: procSchema }, listeners: { type: 'array', items: { type: 'string' } } } } },
        },
      },
      async (req) => {
        const { pid } = req.query as { pid?: number };
        const procs = listProcesses(kernel).filter((p) => pid === undefined || p.pid === pid);
        return { procs, listeners: server.listeners.map((l) => l.url) };
      },
    );
    app.get(
      '/v1/ktrace',
      {
        websocket: true,
        schema: {
          summary: 'A live stream of completed syscalls (one JSON object per message), filterable by pid and syscall',
          querystring: {
            type: 'object',
            properties: { pid: { type: 'integer', minimum: 1 }, syscall: { type: 'string', description: 'comma-separated syscall names' } },
            additionalProperties: false,
          },
        },
      },
      (socket, req) => {
        const q = req.query as { pid?: number; syscall?: string };
        const filter: TraceFilter = {
          ...(q.pid !== undefined ? { pid: q.pid } : {}),
          ...(q.syscall ? { syscalls: q.syscall.split(',').filter(Boolean) } : {}),
        };
        const off = tap.subscribe((r) => {
          if (!traceMatches(filter, r)) return;
          // a slow reader is dropped rather than let its queue grow without bound
          if (socket.bufferedAmount > 4 * 1024 * 1024) {
            socket.close(1013, 'too slow');
            return;
          }
          socket.send(JSON.stringify(traceEvent(r)));
        });
        socket.on('close', off);
      },
    );
  };
}
