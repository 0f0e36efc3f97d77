// npm start's whole run: make the run directory, write the rc file and switchd.conf, start
// the services in order (each healthy before the next), print the status table, print a
// traffic line every second, and on SIGINT/SIGTERM (or after --duration) stop everything in
// reverse order and remove the run directory. Returns the exit code.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StartError, Supervisor, healthy, tail } from './supervisor.js';
import { formatLine, formatSummary, formatTable, sample, totals, type Sample } from './status.js';
import { plan, type PlanOptions } from './topology.js';

export interface LaunchOptions extends Omit<PlanOptions, 'runDir'> {
  /** Default: a new directory under the system's temporary directory, removed at the end. */
  readonly runDir?: string;
  /** Stop by itself after this many seconds (0: run until a signal). */
  readonly duration: number;
  readonly out: (line: string) => void;
  /** The process to take SIGINT/SIGTERM from. */
  readonly signals?: NodeJS.EventEmitter;
}

export async function launch(o: LaunchOptions): Promise<number> {
  const createdDir = o.runDir === undefined;
  const runDir = o.runDir ?? mkdtempSync(path.join(tmpdir(), 'rumpflow-'));
  mkdirSync(path.join(runDir, 'logs'), { recursive: true, mode: 0o700 });
  const p = plan({ ...o, runDir });
  const written: string[] = [];
  for (const [name, text] of Object.entries(p.files)) {
    const f = path.join(runDir, name);
    writeFileSync(f, text, { mode: 0o600 });
    written.push(f);
  }
  const sup = new Supervisor(runDir);
  const signals = o.signals ?? process;
  let stopRequested: string | undefined;
  let wake: () => void = () => {};
  const onSignal = (sig: string) => {
    stopRequested = sig;
    wake();
  };
  signals.on('SIGINT', onSignal);
  signals.on('SIGTERM', onSignal);

  let code = 0;
  let last: Sample | undefined;
  let reported: string | undefined;
  try {
    o.out(
      `run directory ${runDir} (device backend ${o.backend}, controller ${o.controller}, ${o.hosts} hosts)`,
    );
    const hostNames = new Set(p.hosts.map((h) => h.name));
    for (const s of p.services.filter((x) => !hostNames.has(x.name))) {
      if (stopRequested) break;
      o.out(`starting ${s.name} ...`);
      await sup.start(s);
    }
    // the hosts together, so that none pings long before its peer exists
    if (!stopRequested) {
      const hosts = p.services.filter((x) => hostNames.has(x.name));
      o.out(`starting ${hosts.map((h) => h.name).join(', ')} ...`);
      await Promise.all(hosts.map((h) => sup.start(h)));
    }
    if (!stopRequested) {
      const rows = await Promise.all(
        sup.running.map(async (r) => ({
          service: r.plan.name,
          pid: r.child.pid,
          addresses: r.plan.addresses,
          healthy: await healthy(r.plan),
        })),
      );
      o.out('');
      o.out(formatTable(rows));
      o.out('');
      o.out(
        `tools: ovs-ofctl -O OpenFlow13 dump-flows tcp:127.0.0.1:${p.ports.switchdPtcp}` +
          (p.ofcApi ? `   curl ${p.ofcApi}/stats/switches` : '') +
          `   RUMP_SERVER=unix://${path.join(runDir, 'rump.sock')} npx rumpctl ifconfig -a`,
      );
      o.out('Ctrl-C stops everything');
    }
    const deadline = o.duration > 0 ? Date.now() + o.duration * 1000 : Infinity;
    while (!stopRequested && Date.now() < deadline) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now())));
      });
      if (stopRequested) break;
      const failed = sup.failed;
      if (failed.length > 0) {
        for (const f of failed)
          o.out(`${f.plan.name} exited (${f.exit?.signal ?? `code ${f.exit?.code}`}); see below`);
        code = 1;
        break;
      }
      const cur = await sample(p.hosts, p.kernelAdmin);
      o.out(formatLine(last, cur));
      last = cur;
    }
  } catch (e) {
    if (!(e instanceof StartError)) throw e;
    o.out(`could not start ${e.message}`);
    reported = e.service;
    if (e.logTail) o.out(e.logTail.replace(/^/gm, `  ${e.service}| `));
    code = 1;
  } finally {
    if (stopRequested) o.out(`${stopRequested}: stopping`);
    if (code === 0 && sup.running.length === p.services.length) {
      last = await sample(p.hosts, p.kernelAdmin);
      for (const l of formatSummary(last)) o.out(l);
    }
    for (const f of sup.failed.filter((x) => x.plan.name !== reported)) {
      o.out(`--- ${f.plan.name} log (last lines)`);
      o.out(tail(f.logFile));
    }
    await sup.stop();
    signals.off('SIGINT', onSignal);
    signals.off('SIGTERM', onSignal);
    if (createdDir) rmSync(runDir, { recursive: true, force: true });
    else for (const f of written) rmSync(f, { force: true });
    o.out(`stopped ${sup.running.length} services${createdDir ? `, removed ${runDir}` : ''}`);
  }
  if (code === 0 && last && totals(last).replies === 0 && o.duration > 0) code = 3;
  return code;
}
