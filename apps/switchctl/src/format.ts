// switchctl's tables for `show`: columns sized to their contents, like OpenBSD's switchctl.

type Row = Record<string, unknown>;

function table(rows: readonly Row[], columns: readonly [key: string, title: string][]): string {
  const cells = rows.map((r) => columns.map(([k]) => cell(r[k])));
  const widths = columns.map(([, t], i) => Math.max(t.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) =>
    c
      .map((s, i) => s.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(columns.map(([, t]) => t)), ...cells.map(line)].join('\n') + '\n';
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length === 0 ? '-' : v.join(',');
  return String(v);
}

export function formatShow(what: string, result: unknown): string {
  const rows = Array.isArray(result) ? (result as Row[]) : [];
  switch (what) {
    case 'switches':
      return table(rows, [
        ['dpid', 'DPID'],
        ['via', 'VIA'],
        ['peer', 'PEER'],
        ['macs', 'MACS'],
      ]);
    case 'macs':
      return table(rows, [
        ['dpid', 'DPID'],
        ['mac', 'MAC'],
        ['port', 'PORT'],
        ['age', 'AGE'],
      ]);
    case 'connections':
      return table(rows, [
        ['id', 'ID'],
        ['device', 'DEVICE'],
        ['target', 'TARGET'],
        ['peer', 'PEER'],
        ['up', 'UP'],
        ['toDevice', 'TO-DEV'],
        ['toController', 'TO-CTL'],
        ['errors', 'ERRORS'],
      ]);
    case 'devices':
      return table(rows, [
        ['device', 'DEVICE'],
        ['failMode', 'FAIL-MODE'],
        ['forward', 'FORWARD'],
        ['controllersUp', 'CONTROLLERS'],
        ['builtIn', 'BUILT-IN'],
        ['dpid', 'DPID'],
      ]);
    default: {
      const o = (result ?? {}) as Row;
      return Object.entries(o)
        .map(([k, v]) => `${k}: ${cell(v)}\n`)
        .join('');
    }
  }
}
