// waitAny(): wait on rump fds and host fds (or host streams) together and return whichever
// is readable first: the two-sided wait librumphijack does for poll(2) and never did for
// kevent. The rump side is EVFILT_READ through kevent in the kernel, the host side Node's
// loop (host-fds.ts); the waits that lose are cancelled (CANCEL for the kernel's).

import type { Readable } from 'node:stream';
import { hostFds, installed } from './state.js';

/** A program fd (rump or host) or a host readable stream (net.Socket, process.stdin...). */
export type WaitSource = number | Readable;

export interface WaitOptions {
  /** Give up after this long and resolve with null (default: wait forever). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

function streamReadable(s: Readable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (s.readableLength > 0 || s.readableEnded || s.destroyed) {
        stop();
        resolve();
      }
    };
    const stop = (): void => {
      s.off('readable', check);
      s.off('end', check);
      s.off('close', check);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      stop();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    s.on('readable', check);
    s.on('end', check);
    s.on('close', check);
    check();
  });
}

/**
 * Resolves with the first of `sources` that is readable (a read will not block), or null
 * when `timeoutMs` passes first. Rejects with the Node error of a source that cannot be
 * waited on (EBADF), or the signal's reason.
 */
export async function waitAny<T extends WaitSource>(
  sources: readonly T[],
  opts: WaitOptions = {},
): Promise<T | null> {
  const ac = new AbortController();
  const onOuter = (): void => ac.abort(opts.signal?.reason);
  if (opts.signal?.aborted) throw opts.signal.reason;
  opts.signal?.addEventListener('abort', onOuter, { once: true });
  const h = installed();
  let timer: NodeJS.Timeout | undefined;
  const waits: Promise<T | null>[] = [];
  try {
    for (const src of sources) {
      if (typeof src !== 'number') waits.push(streamReadable(src as Readable, ac.signal).then(() => src));
      else if (h?.owns(src)) waits.push(h.waitReadable(src, ac.signal).then(() => src));
      else waits.push(hostFds.wait(src, ac.signal).then(() => src)); // a bad host fd throws here
    }
    if (opts.timeoutMs !== undefined) {
      waits.push(new Promise((resolve) => (timer = setTimeout(() => resolve(null), opts.timeoutMs))));
    }
    return await Promise.race(waits);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuter);
    ac.abort();
    // the losers reject with the abort: nobody waits for them
    for (const w of waits) w.catch(() => undefined);
  }
}
