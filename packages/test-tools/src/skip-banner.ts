// The banner a suite that skips for want of a peer program owes its reader (tshark, ovs-ofctl,
// network namespaces): a skipped differential test must not pass unnoticed.

/** Print on stderr: `SUITE SKIPPED: WHY, so` the UNCHECKED lines, then how to REMEDY it. */
export function warnSkipped(
  suite: string,
  why: string,
  unchecked: readonly string[],
  remedy: readonly string[],
): void {
  const bar = '!'.repeat(83);
  console.warn(
    [
      '',
      bar,
      `!! ${suite} SKIPPED: ${why}, so`,
      ...[...unchecked, ...remedy].map((l) => `!! ${l}`),
      bar,
      '',
    ].join('\n'),
  );
}
