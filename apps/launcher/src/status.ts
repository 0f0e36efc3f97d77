// What `npm start` prints: the status table once everything runs, a traffic line every
// second, and a summary per host at the end. Formatting is pure; sample() reads the admin
// APIs (hostsims' /v1/stats, the kernel's /v1/switches/switch0).

export interface TableRow {
  readonly service: string;
  readonly pid: number | undefined;
  readonly addresses: readonly string[];
  readonly healthy: boolean;
}

export function formatTable(rows: readonly TableRow[]): string {
  const head = ['SERVICE', 'PID', 'HEALTH', 'ADDRESSES'];
  const cells = rows.map((r) => [
    r.service,
    r.pid !== undefined ? String(r.pid) : '-',
    r.healthy ? 'healthy' : 'UNHEALTHY',
    r.addresses.join(', '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) =>
    c
      .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

export interface PeerSample {
  readonly ip: string;
  readonly pingsSent: number;
  readonly pingReplies: number;
  readonly pingsLost: number;
  readonly rttMs: { readonly p50: number; readonly p99: number } | null;
}

export interface HostSample {
  readonly name: string;
  readonly ip: string;
  readonly framesIn: number;
  readonly framesOut: number;
  readonly peers: readonly PeerSample[];
}

export interface Sample {
  readonly at: number;
  readonly hosts: readonly (HostSample | undefined)[];
  /** switch0's flow entries, or undefined when the kernel did not answer. */
  readonly flows: number | undefined;
}

export interface Totals {
  sent: number;
  replies: number;
  lost: number;
  frames: number;
}

export function totals(s: Sample): Totals {
  const t = { sent: 0, replies: 0, lost: 0, frames: 0 };
  for (const h of s.hosts) {
    if (!h) continue;
    t.frames += h.framesIn + h.framesOut;
    for (const p of h.peers) {
      t.sent += p.pingsSent;
      t.replies += p.pingReplies;
      t.lost += p.pingsLost;
    }
  }
  return t;
}

const pct = (lost: number, replies: number) =>
  lost + replies === 0 ? '-' : `${((100 * lost) / (lost + replies)).toFixed(1)}%`;

/** One line: the interval's pings, replies, loss and frames, RTT now, flow count. */
export function formatLine(prev: Sample | undefined, cur: Sample): string {
  const a = prev ? totals(prev) : { sent: 0, replies: 0, lost: 0, frames: 0 };
  const b = totals(cur);
  const secs = prev ? Math.max(0.001, (cur.at - prev.at) / 1000) : 1;
  let p50 = 0;
  let p99 = 0;
  let any = false;
  for (const h of cur.hosts)
    for (const p of h?.peers ?? [])
      if (p.rttMs) {
        any = true;
        p50 = Math.max(p50, p.rttMs.p50);
        p99 = Math.max(p99, p.rttMs.p99);
      }
  const down = cur.hosts.filter((h) => h === undefined).length;
  return [
    new Date(cur.at).toISOString().slice(11, 19),
    `pings ${b.sent - a.sent} sent ${b.replies - a.replies} answered`,
    `loss ${pct(b.lost - a.lost, b.replies - a.replies)} (total ${pct(b.lost, b.replies)})`,
    any ? `rtt p50 ${p50.toFixed(2)} ms p99 ${p99.toFixed(2)} ms` : 'rtt -',
    `${Math.round((b.frames - a.frames) / secs)} frames/s`,
    `flows ${cur.flows ?? '?'}`,
    ...(down > 0 ? [`${down} host(s) not answering`] : []),
  ].join('  ');
}

export function formatSummary(s: Sample): string[] {
  const out: string[] = [];
  for (const h of s.hosts) {
    if (!h) continue;
    for (const p of h.peers)
      out.push(
        `${h.name} ${h.ip} -> ${p.ip}: ${p.pingsSent} pings, ${p.pingReplies} replies, ${pct(p.pingsLost, p.pingReplies)} loss` +
          (p.rttMs ? `, rtt p50 ${p.rttMs.p50.toFixed(2)} ms p99 ${p.rttMs.p99.toFixed(2)} ms` : ''),
      );
  }
  return out;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

export async function sample(
  hosts: readonly { name: string; ip: string; admin: string }[],
  kernelAdmin: string,
): Promise<Sample> {
  const hostSamples = await Promise.all(
    hosts.map(async (h): Promise<HostSample | undefined> => {
      try {
        const s = (await getJson(`${h.admin}/v1/stats`)) as {
          counters: { framesIn: number; framesOut: number };
          peers: PeerSample[];
        };
        return {
          name: h.name,
          ip: h.ip,
          framesIn: s.counters.framesIn,
          framesOut: s.counters.framesOut,
          peers: s.peers,
        };
      } catch {
        return undefined;
      }
    }),
  );
  let flows: number | undefined;
  try {
    flows = ((await getJson(`${kernelAdmin}/v1/switches/switch0`)) as { flows: number }).flows;
  } catch {
    flows = undefined;
  }
  return { at: Date.now(), hosts: hostSamples, flows };
}
