// Kernel information devices, so plain rump clients (rumpctl) can see inside the kernel
// through open/read like any other file. Their record formats are sysproxy's (kinfo.ts there):
//   /dev/kinfo   each open is a snapshot of the processes and their fds (JSON), read to EOF;
//                at most KINFO_MAX_BYTES: processes that do not fit are left out and the
//                snapshot says "truncated": true (still valid JSON, every listed process whole)
//   /dev/ktrace  each open is a live stream of completed syscalls, one JSON object per line;
//                write a JSON filter ({"pid":3,"syscalls":["read"]}) to narrow it. A process
//                with /dev/ktrace open is a tracer, and tracers never see tracers' calls:
//                their reads would feed each other without end.

import { ERRNO, KINFO_PATH, KTRACE_PATH, parseKtraceFilter } from '@rumpflow/sysproxy';
import type { Driver } from './devices.js';
import { KernelError } from './errors.js';
import type { FileObject, IoContext } from './file.js';
import type { Kernel } from './kernel.js';
import { type TraceFilter, processInfo, traceEvent, traceMatches } from './observe.js';
import { WaitChannel, blockUntil } from './wait.js';

/** The most bytes of one /dev/kinfo snapshot. */
export const KINFO_MAX_BYTES = 1024 * 1024;

/**
 * The /dev/kinfo snapshot of `kernel`, processes by pid, as JSON of at most `maxBytes`: the
 * work stops at the bound too, so a kernel full of processes and fds costs no more than that.
 */
export function kinfoSnapshot(kernel: Kernel, maxBytes = KINFO_MAX_BYTES): Uint8Array {
  const enc = new TextEncoder();
  const head = '{"procs":[';
  const tail = '],"truncated":true}\n'; // the longest ending: room for it is kept throughout
  const procs: string[] = [];
  let size = head.length + tail.length;
  let truncated = false;
  for (const p of [...kernel.processes.values()].sort((a, b) => a.pid - b.pid)) {
    const json = JSON.stringify(processInfo(p));
    const bytes = enc.encode(json).length + 1; // and its comma
    if (size + bytes > maxBytes) {
      truncated = true;
      break;
    }
    procs.push(json);
    size += bytes;
  }
  return enc.encode(`${head}${procs.join(',')}]${truncated ? ',"truncated":true' : ''}}\n`);
}

export function kinfoDriver(kernel: Kernel): Driver {
  return {
    description: 'kernel process information (JSON)',
    open: () => {
      const data = kinfoSnapshot(kernel);
      let off = 0;
      return {
        kind: 'vnode',
        name: KINFO_PATH,
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

/** The lines waiting for one reader of /dev/ktrace. */
class TraceQueue {
  private readonly lines: Uint8Array[] = [];
  held = 0;

  get empty(): boolean {
    return this.lines.length === 0;
  }

  /** Make room for one more line: true when the oldest had to go. */
  makeRoom(): boolean {
    if (this.lines.length < KTRACE_QUEUE) return false;
    this.held -= (this.lines.shift() as Uint8Array).length;
    return true;
  }

  push(line: Uint8Array): void {
    this.lines.push(line);
    this.held += line.length;
  }

  /** Whole lines, as many as fit in `n` (at least one, cut if longer than n). */
  take(n: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let size = 0;
    while (this.lines.length > 0 && (parts.length === 0 || size + (this.lines[0] as Uint8Array).length <= n)) {
      const l = this.lines.shift() as Uint8Array;
      this.held -= l.length;
      parts.push(l);
      size += l.length;
    }
    const out = Buffer.concat(parts, size);
    if (size <= n) return out;
    // a single line longer than the read: hand out its start, keep the rest first in line
    const rest = out.subarray(n);
    this.lines.unshift(rest);
    this.held += rest.length;
    return out.subarray(0, n);
  }
}

export function ktraceDriver(kernel: Kernel): Driver {
  return {
    description: 'live syscall trace (JSON lines)',
    open: (ctx) => {
      const reader = kernel.processes.get(ctx.pid);
      const queue = new TraceQueue();
      let filter: TraceFilter = {};
      const channel = new WaitChannel();
      const enc = new TextEncoder();
      const off = kernel.trace.subscribe((r) => {
        if (r.tracer || !traceMatches(filter, r)) return;
        // a line that pushed out an older one says so
        const ev = queue.makeRoom() ? { ...traceEvent(r), dropped: 1 } : traceEvent(r);
        queue.push(enc.encode(`${JSON.stringify(ev)}\n`));
        channel.wake();
      });
      if (reader) reader.traceReaders++;
      const obj: FileObject = {
        kind: 'vnode',
        name: KTRACE_PATH,
        channel,
        readiness: () => ({ readable: queue.held, writable: 4096, eof: false, hangup: false }),
        read: (n: number, io: IoContext) => blockUntil(channel, io.intr, io.nonblocking, () => (queue.empty ? undefined : queue.take(n))),
        write: (data: Uint8Array) => {
          try {
            filter = parseKtraceFilter(new TextDecoder().decode(data));
          } catch (e) {
            throw new KernelError(ERRNO.EINVAL, (e as Error).message);
          }
          return data.length;
        },
        close: () => {
          off();
          if (reader) reader.traceReaders--;
        },
      };
      return obj;
    },
  };
}
