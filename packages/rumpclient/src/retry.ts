// The reconnect policy, NetBSD's rumpclient_setconnretry(3) in words:
//
//   'never'          RUMPCLIENT_RETRYCONN_NONE: a lost connection stays lost (calls: ENOTCONN)
//   'once'           RUMPCLIENT_RETRYCONN_ONCE: one attempt, right away
//   { seconds: N }   keep trying for N seconds (N = 0 is 'never')
//   'forever'        RUMPCLIENT_RETRYCONN_INFTIME
//
// The first attempt is immediate; later ones wait an exponential backoff with jitter. Pure
// functions: the client (client.ts) runs the loop and the clock. The backoff formula is the
// shared one of @rumpflow/endpoint, with this library's defaults (DEFAULT_BACKOFF).

import { type Backoff, type BackoffOptions, backoffDelay } from '@rumpflow/endpoint';

export type { BackoffOptions };

export type RetryPolicy = 'never' | 'once' | 'forever' | { readonly seconds: number };

/** The waits between reconnect attempts: from 100 ms, doubling, capped at 2 s, jittered by half. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 100, maxMs: 2000, jitter: 0.5 };

/** Check a policy given by a user (JavaScript callers, configuration files). */
export function checkRetryPolicy(p: unknown): RetryPolicy {
  if (p === 'never' || p === 'once' || p === 'forever') return p;
  if (typeof p === 'object' && p !== null && 'seconds' in p) {
    const { seconds } = p;
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return { seconds };
  }
  throw new TypeError(
    `retry: expected 'never', 'once', 'forever' or { seconds: N >= 0 }, got ${JSON.stringify(p)}`,
  );
}

/**
 * How long to wait before reconnect attempt number `attempt` (0-based), `elapsedMs` after the
 * connection was lost; undefined when the policy allows no further attempt.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  elapsedMs: number,
  backoff: BackoffOptions = {},
  random: () => number = Math.random,
): number | undefined {
  if (policy === 'never') return undefined;
  if (policy === 'once') return attempt === 0 ? 0 : undefined;
  const leftMs = policy === 'forever' ? Infinity : policy.seconds * 1000 - elapsedMs;
  if (leftMs <= 0) return undefined;
  if (attempt === 0) return 0;
  return Math.min(backoffDelay(attempt - 1, backoff, DEFAULT_BACKOFF, random), leftMs);
}

/** Whether a lost connection will be retried at all. */
export function retries(policy: RetryPolicy): boolean {
  return retryDelay(policy, 0, 0) !== undefined;
}
