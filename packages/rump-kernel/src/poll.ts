// poll(2): readiness of several fds at once, with a timeout, from the objects' readiness and
// their wake-ups. POLLNVAL for an fd that is not open, POLLHUP when the peer is gone.

import { ERRNO, POLL, type Value } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import type { Handler } from './kernel.js';
import { waitWithTimeout } from './kqueue.js';
import type { Process } from './process.js';
import { type Interrupt, WaitChannel } from './wait.js';

/** Most fds in one poll (OPEN_MAX-like bound). */
export const MAX_POLLFDS = 4096;

function revents(p: Process, fd: number, events: number): number {
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

async function poll(p: Process, args: Value[], intr: Interrupt): Promise<Value[]> {
  const [list, timeoutV] = args as [[number, number][], number];
  if (list.length > MAX_POLLFDS) throw new KernelError(ERRNO.EINVAL, `more than ${MAX_POLLFDS} fds`);
  const timeout = Number(timeoutV);
  const deadline = timeout < 0 ? undefined : Date.now() + timeout;
  for (;;) {
    const rev = list.map(([fd, ev]) => revents(p, Number(fd), Number(ev)));
    const n = rev.filter((r) => r !== 0).length;
    if (n > 0 || timeout === 0) return [n, rev];
    const left = deadline === undefined ? undefined : deadline - Date.now();
    if (left !== undefined && left <= 0) return [0, rev];
    // one channel that any of the fds' objects wakes
    const any = new WaitChannel();
    const offs = list.map(([fd]) => p.fds.get(Number(fd))?.file.object.channel.subscribe(() => any.wake()));
    const untrack = list.map(([fd]) => p.track(Number(fd), intr));
    try {
      await waitWithTimeout(any, intr, left);
    } catch (e) {
      // a polled fd being closed ends the wait; the next scan reports POLLNVAL
      if (!(e instanceof KernelError && e.errno === ERRNO.EBADF)) throw e;
    } finally {
      for (const off of offs) off?.();
      for (const u of untrack) u();
    }
  }
}

export const pollSyscall: Handler = (_k, p, args, intr) => poll(p, args, intr);
