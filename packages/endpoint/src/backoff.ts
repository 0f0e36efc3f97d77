// How long to wait before trying to reach an endpoint again: exponential backoff with
// jitter, the one formula every reconnecting client in rumpflow uses (the OpenFlow
// ActiveConnector, rumpclient's reconnect policy). Each user keeps its own defaults — a
// controller connection backs off in seconds, a rump kernel client in tenths — and passes
// them in; nothing here has a default of its own. Pure: the caller owns the clock.

export interface BackoffOptions {
  /** Upper bound of the first wait (attempt 0). */
  readonly initialMs?: number;
  /** Longest wait. */
  readonly maxMs?: number;
  /** Fraction of each wait drawn at random: 0.5 turns a wait d into one in [d/2, d]. */
  readonly jitter?: number;
}

/** Backoff settings with every field present: a user's defaults. */
export type Backoff = Required<BackoffOptions>;

/**
 * The wait before retry number `attempt` (0-based):
 * `round(min(maxMs, initialMs × 2^attempt) × (1 − jitter × random()))`, where each field of
 * `opts` that is missing (or undefined) comes from `defaults`. `random` returns [0, 1).
 */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions | undefined,
  defaults: Backoff,
  random: () => number = Math.random,
): number {
  const initial = opts?.initialMs ?? defaults.initialMs;
  const max = opts?.maxMs ?? defaults.maxMs;
  const jitter = opts?.jitter ?? defaults.jitter;
  const d = Math.min(max, initial * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(d * (1 - jitter * random()));
}
