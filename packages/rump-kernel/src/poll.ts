// poll(2): readiness of several fds at once, with a timeout, from the objects' readiness and
// their wake-ups. POLLNVAL for an fd that is not open, POLLHUP when the peer is gone; an entry
// with a negative fd is ignored (revents 0), as POSIX says.
//
// Closing a polled fd ends the current wait, not the call: the call scans again, and finds
// POLLNVAL, or whatever file dup2 has put at that number meanwhile. Each wait therefore has its
// own interrupt scope; the call's own interrupt (cancel, exit) ends the call.

import { ERRNO, POLL, type Value } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import type { Handler, Kernel } from './kernel.js';
import type { Process } from './process.js';
import { type Interrupt, WaitChannel } from './wait.js';

/** Most fds in one poll (OPEN_MAX-like bound). */
export const MAX_POLLFDS = 4096;

type PollFd = readonly [fd: number, events: number];

function revents(p: Process, [fd, events]: PollFd): number {
  if (fd < 0) return 0;
  const e = p.fds.get(fd);
  if (!e) return POLL.NVAL;
  const r = e.file.object.readiness();
  let out = 0;
  if ((events & (POLL.IN | POLL.RDNORM)) !== 0 && (r.readable > 0 || r.eof)) out |= events & (POLL.IN | POLL.RDNORM);
  if ((events & (POLL.OUT | POLL.WRNORM)) !== 0 && r.writable > 0 && !r.hangup) out |= events & (POLL.OUT | POLL.WRNORM);
  // as BSD's pipe_poll: a closed peer is POLLHUP, with or without data left
  if (r.hangup || (r.eof && e.file.object.kind === 'pipe')) out |= POLL.HUP;
  return out;
}

/** Wait until an object of the polled fds wakes, one of them is closed, or `left` ms pass. */
async function waitForAny(k: Kernel, p: Process, fds: readonly PollFd[], intr: Interrupt, left: number | undefined): Promise<void> {
  const any = new WaitChannel();
  const scope = intr.scope();
  const polled = fds.filter(([fd]) => fd >= 0);
  const offs = [
    ...polled.map(([fd]) => p.fds.get(fd)?.file.object.channel.subscribe(() => any.wake())),
    ...polled.map(([fd]) => p.track(fd, scope.intr)),
  ];
  try {
    await any.waitUpTo(scope.intr, left, k.timers);
  } catch (e) {
    // a polled fd closed (EBADF on this wait's scope only): scan again
    if (intr.interrupted || !(e instanceof KernelError && e.errno === ERRNO.EBADF)) throw e;
  } finally {
    for (const off of offs) off?.();
    scope.dispose();
  }
}

async function poll(k: Kernel, p: Process, args: Value[], intr: Interrupt): Promise<Value[]> {
  const [list, timeoutV] = args as [[number | bigint, number | bigint][], number | bigint];
  if (list.length > MAX_POLLFDS) throw new KernelError(ERRNO.EINVAL, `more than ${MAX_POLLFDS} fds`);
  const fds: PollFd[] = list.map(([fd, ev]) => [Number(fd), Number(ev)]);
  const timeout = Number(timeoutV);
  const deadline = timeout < 0 ? undefined : k.timers.now() + timeout;
  for (;;) {
    const rev = fds.map((x) => revents(p, x));
    const n = rev.filter((r) => r !== 0).length;
    if (n > 0 || timeout === 0) return [n, rev];
    const left = deadline === undefined ? undefined : deadline - k.timers.now();
    if (left !== undefined && left <= 0) return [0, rev];
    await waitForAny(k, p, fds, intr, left);
  }
}

export const pollSyscall: Handler = (k, p, args, intr) => poll(k, p, args, intr);
