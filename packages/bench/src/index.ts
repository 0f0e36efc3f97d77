// A benchmark harness with no dependencies. Each case runs in batches sized to last about
// `batchMs`; the rate reported is the median of the batches, and every case is also shown
// as a ratio to the run's baseline case, so figures from different machines compare.

export interface BenchCase {
  readonly name: string;
  /** One operation. Return a value so the work cannot be optimised away. */
  readonly fn: () => unknown;
  /** Operations a single call of fn performs (default 1). */
  readonly opsPerCall?: number;
}

export interface BenchResult {
  readonly name: string;
  readonly opsPerSec: number;
  readonly nsPerOp: number;
  readonly batches: number;
}

export interface BenchOptions {
  readonly batchMs?: number;
  readonly batches?: number;
  readonly warmupMs?: number;
}

let sink: unknown;

/** Measure one case: warm up, size a batch, run batches, report the median rate. */
export function measure(c: BenchCase, opts: BenchOptions = {}): BenchResult {
  const batchMs = opts.batchMs ?? 200;
  const batches = opts.batches ?? 7;
  const per = c.opsPerCall ?? 1;
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  let calls = 1;
  const warmEnd = now() + (opts.warmupMs ?? 300);
  while (now() < warmEnd) {
    const t0 = now();
    for (let i = 0; i < calls; i++) sink = c.fn();
    const dt = now() - t0;
    if (dt < batchMs / 4) calls *= 2;
  }
  const rates: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = now();
    for (let i = 0; i < calls; i++) sink = c.fn();
    const dt = now() - t0;
    rates.push((calls * per * 1000) / Math.max(dt, 1e-6));
  }
  rates.sort((x, y) => x - y);
  const opsPerSec = rates[Math.floor(rates.length / 2)] as number;
  return { name: c.name, opsPerSec, nsPerOp: 1e9 / opsPerSec, batches };
}

/** The last value a benchmark produced (keeps results observable). */
export function lastResult(): unknown {
  return sink;
}

function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M/s`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k/s`;
  return `${n.toFixed(0)} /s`;
}

/** A table of results, each with its ratio to `baseline` and an optional target. */
export function formatReport(
  title: string,
  results: readonly BenchResult[],
  baseline: BenchResult,
  targets: Readonly<Record<string, number>> = {},
): string {
  const w = Math.max(...results.map((r) => r.name.length), baseline.name.length, 4);
  const lines = [
    title,
    `${'case'.padEnd(w)}  ${'rate'.padStart(12)}  ${'ns/op'.padStart(9)}  ${'x baseline'.padStart(10)}  target`,
  ];
  for (const r of [baseline, ...results]) {
    const t = targets[r.name];
    const target = t === undefined ? '' : `${fmtRate(t)} ${r.opsPerSec >= t ? 'met' : 'MISSED'}`;
    lines.push(
      `${r.name.padEnd(w)}  ${fmtRate(r.opsPerSec).padStart(12)}  ${r.nsPerOp.toFixed(1).padStart(9)}  ${(r.opsPerSec / baseline.opsPerSec)
        .toFixed(3)
        .padStart(10)}  ${target}`,
    );
  }
  return lines.join('\n');
}
