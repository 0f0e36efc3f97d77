// Kernel information devices, so plain rump clients (rumpctl) can see inside the kernel
// through open/read like any other file:
//   /dev/kinfo   each open is a snapshot of the processes and their fds (JSON), read to EOF
//   /dev/ktrace  each open is a live stream of completed syscalls, one JSON object per line;
//                write a JSON filter ({"pid":3,"syscalls":["read"]}) to narrow it. The
//                tracer's own calls are never traced (they would feed themselves).

import { ERRNO } from '@rumpflow/sysproxy';
import type { Driver } from './devices.js';
import { KernelError } from './errors.js';
import type { FileObject, IoContext } from './file.js';
import type { Kernel } from './kernel.js';
import { type TraceFilter, listProcesses, traceEvent, traceMatches } from './observe.js';
import type { SyscallTap } from './tap.js';
import { WaitChannel, blockUntil } from './wait.js';

export function kinfoDriver(kernel: Kernel): Driver {
  return {
    description: 'kernel process information (JSON)',
    open: () => {
      const data = new TextEncoder().encode(`${JSON.stringify({ procs: listProcesses(kernel) })}\n`);
      let off = 0;
      return {
        kind: 'vnode',
        name: '/dev/kinfo',
        channel: new WaitChannel(),
        readiness: () => ({ readable: data.length - off, writable: 0, eof: true, hangup: false }),
        read: (n: number) => {
          const out = data.subarray(off, Math.min(data.length, off + n));
          off += out.length;
          return out;
        },
        close: () => undefined,
      };
    },
  };
}

/** Trace lines held per opener; older lines are dropped (and counted) beyond it. */
export const KTRACE_QUEUE = 4096;

export function ktraceDriver(tap: SyscallTap): Driver {
  return {
    description: 'live syscall trace (JSON lines)',
    open: (ctx) => {
      const lines: Uint8Array[] = [];
      let held = 0;
      let dropped = 0;
      let filter: TraceFilter = {};
      const channel = new WaitChannel();
      const enc = new TextEncoder();
      const off = tap.subscribe((r) => {
        if (r.pid === ctx.pid || !traceMatches(filter, r)) return;
        if (lines.length >= KTRACE_QUEUE) {
          held -= (lines.shift() as Uint8Array).length;
          dropped++;
        }
        const ev = dropped > 0 ? { ...traceEvent(r), dropped } : traceEvent(r);
        dropped = 0;
        const line = enc.encode(`${JSON.stringify(ev)}\n`);
        lines.push(line);
        held += line.length;
        channel.wake();
      });
      const obj: FileObject = {
        kind: 'vnode',
        name: '/dev/ktrace',
        channel,
        readiness: () => ({ readable: held, writable: 4096, eof: false, hangup: false }),
        read: (n: number, io: IoContext) =>
          blockUntil(channel, io.intr, io.nonblocking, () => {
            if (lines.length === 0) return undefined;
            // whole lines only, as many as fit (at least one, cut if longer than n)
            const parts: Uint8Array[] = [];
            let size = 0;
            while (lines.length > 0 && (parts.length === 0 || size + (lines[0] as Uint8Array).length <= n)) {
              const l = lines.shift() as Uint8Array;
              held -= l.length;
              parts.push(l);
              size += l.length;
            }
            const out = new Uint8Array(size);
            let o = 0;
            for (const p of parts) {
              out.set(p, o);
              o += p.length;
            }
            if (size <= n) return out;
            // a single line longer than the read: hand out its start, keep the rest first in line
            const rest = out.subarray(n);
            lines.unshift(rest);
            held += rest.length;
            return out.subarray(0, n);
          }),
        write: (data: Uint8Array) => {
          let f: unknown;
          try {
            f = JSON.parse(new TextDecoder().decode(data));
          } catch {
            throw new KernelError(ERRNO.EINVAL, 'ktrace filter is not JSON');
          }
          const o = f as { pid?: unknown; syscalls?: unknown };
          if (o.pid !== undefined && typeof o.pid !== 'number') throw new KernelError(ERRNO.EINVAL, 'pid must be a number');
          if (o.syscalls !== undefined && (!Array.isArray(o.syscalls) || o.syscalls.some((x) => typeof x !== 'string'))) {
            throw new KernelError(ERRNO.EINVAL, 'syscalls must be a list of names');
          }
          filter = { ...(o.pid !== undefined ? { pid: o.pid as number } : {}), ...(o.syscalls ? { syscalls: o.syscalls as string[] } : {}) };
          return data.length;
        },
        close: () => off(),
      };
      return obj;
    },
  };
}
