// The reconnect policy, NetBSD's rumpclient_setconnretry(3) in words:
//
//   'never'          RUMPCLIENT_RETRYCONN_NONE: a lost connection stays lost (calls: ENOTCONN)
//   'once'           RUMPCLIENT_RETRYCONN_ONCE: one attempt, right away
//   { seconds: N }   keep trying for N seconds (N = 0 is 'never')
//   'forever'        RUMPCLIENT_RETRYCONN_INFTIME
//
// The first attempt is immediate; later ones wait an exponential backoff with jitter. Pure
// functions: the client (client.ts) runs the loop and the clock.

export type RetryPolicy = 'never' | 'once' | 'forever' | { readonly seconds: number };

export interface BackoffOptions {
  /** Upper bound of the wait before the second attempt (default 100 ms). */
  readonly initialMs?: number;
  /** Longest wait between attempts (default 2000 ms). */
  readonly maxMs?: number;
  /** Fraction of each wait drawn at random (default 0.5: a wait d becomes one in [d/2, d]). */
  readonly jitter?: number;
}

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

/** The wait before the attempt after `retries` failed ones: min(max, initial * 2^retries), jittered. */
export function backoffDelay(
  retries: number,
  opts: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = opts.initialMs ?? 100;
  const max = opts.maxMs ?? 2000;
  const jitter = opts.jitter ?? 0.5;
  const d = Math.min(max, initial * 2 ** Math.min(retries, 30));
  return Math.round(d * (1 - jitter * random()));
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
  return Math.min(backoffDelay(attempt - 1, backoff, random), leftMs);
}

/** Whether a lost connection will be retried at all. */
export function retries(policy: RetryPolicy): boolean {
  return retryDelay(policy, 0, 0) !== undefined;
}
