// The records of the rump kernel's information devices: a protocol between the kernel that
// writes them and the clients that read them (rumpctl), like the sysctl structures of
// kinfo_proc/kinfo_file in NetBSD. Plain JSON over read(2)/write(2):
//
//   /dev/kinfo   each open is one snapshot, read to EOF: a KinfoSnapshot as JSON, one line
//   /dev/ktrace  each open is a live stream of completed syscalls, one TraceEvent as JSON per
//                line; write a KtraceFilter as JSON to narrow it

export const KINFO_PATH = '/dev/kinfo';
export const KTRACE_PATH = '/dev/ktrace';

/** One open fd of a process (NetBSD's fstat line). */
export interface FileInfo {
  fd: number;
  /** 'vnode', 'pipe', 'socket', 'kqueue'. */
  kind: string;
  /** What it is: '/dev/switch0', 'pipe#3 (read end)'. */
  name: string;
  /** O_* status flags: the access mode, O_NONBLOCK, O_APPEND. */
  flags: number;
  cloexec: boolean;
  /** fds sharing this open file description. */
  references: number;
  bytesRead: number;
  bytesWritten: number;
  /** For a kqueue: its registrations. */
  kqueueRegistrations?: number;
}

/** One process of the kernel. */
export interface ProcessInfo {
  pid: number;
  program: string;
  /** Client connections attached (joined connections share the process). */
  connections: number;
  callsInFlight: number;
  /** ISO 8601. */
  startedAt: string;
  fds: FileInfo[];
}

/** What one open of /dev/kinfo reads. */
export interface KinfoSnapshot {
  /** Processes by pid, each with all its fds. */
  procs: ProcessInfo[];
  /** Set when the snapshot reached the kernel's size bound: the processes after the last listed are left out. */
  truncated?: boolean;
}

/** One completed syscall, a line of /dev/ktrace (and a message of the admin API's /v1/ktrace). */
export interface TraceEvent {
  /** When it started, ISO 8601. */
  time: string;
  pid: number;
  program: string;
  syscall: string;
  /** The arguments, summarized: ints as numbers, bytes as their length, strings quoted. */
  args: string;
  /** The results on success, summarized. */
  result?: string;
  /** The errno's name on failure ("EBADF"). */
  errno?: string;
  durationMs: number;
  /** Lines this reader lost just before this one (its queue was full). */
  dropped?: number;
}

/** Narrows a /dev/ktrace stream: only this pid, only these syscalls (empty: all). */
export interface KtraceFilter {
  pid?: number;
  syscalls?: string[];
}

/** A KtraceFilter from the JSON written to /dev/ktrace; throws an Error saying what is wrong. */
export function parseKtraceFilter(text: string): KtraceFilter {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('ktrace filter is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('ktrace filter must be an object');
  const { pid, syscalls } = v as { pid?: unknown; syscalls?: unknown };
  if (pid !== undefined && typeof pid !== 'number') throw new Error('pid must be a number');
  if (syscalls !== undefined && (!Array.isArray(syscalls) || syscalls.some((x) => typeof x !== 'string'))) {
    throw new Error('syscalls must be a list of names');
  }
  return { ...(pid !== undefined ? { pid } : {}), ...(syscalls !== undefined ? { syscalls: syscalls as string[] } : {}) };
}
