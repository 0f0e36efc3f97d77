// One topology of the cross-service suite: the launcher's plan (src/topology.ts) run by its
// supervisor (src/supervisor.ts) with built apps as real processes, plus two Linux network
// namespace hosts (kernel VXLAN interfaces) on switch0's spare ports vxlan2 and vxlan3 (the
// plan's hostsims own vxlan0 and vxlan1). Faults are made by killing and restarting services.
// Cleanup is by process group (every service is its own group leader) and by namespace.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { VxlanHost } from '@rumpflow/test-tools';
import { type Running, StartError, Supervisor } from '../src/supervisor.js';
import { sample, totals, type Totals } from '../src/status.js';
import { type Backend, type Controller, type Plan, type ServicePlan, plan } from '../src/topology.js';

const execFileP = promisify(execFile);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Offsets of this run: 12000 + 100 * (pid mod 20) + 10 * k keeps clear of npm start's e2e (20000+). */
let nextSlot = 0;
export function portOffset(): number {
  return 12000 + 100 * (process.pid % 20) + 10 * (nextSlot++ % 10);
}

export interface TopoOptions {
  readonly backend: Backend;
  readonly controller: Controller;
  /** Used for the namespace names (1..5 chars of a-z0-9). */
  readonly tag: string;
  /** Extra arguments for the controller's command line. */
  readonly controllerArgs?: readonly string[];
  /** Start the plan's hostsims (default true). */
  readonly hostsims?: boolean;
  /** Make the two namespace hosts (default true). */
  readonly namespaces?: boolean;
  /** switchd's fail mode for switch0 (the plan's is secure). */
  readonly failMode?: 'secure' | 'standalone';
}

const LOOPBACK = '127.0.0.1';

export class Topo {
  private readonly killed = new Set<Running>();
  private constructor(
    readonly options: TopoOptions,
    readonly plan: Plan,
    readonly runDir: string,
    readonly sup: Supervisor,
    readonly offset: number,
    readonly hosts: VxlanHost[],
  ) {}

  static async start(o: TopoOptions): Promise<Topo> {
    const runDir = mkdtempSync(path.join(tmpdir(), 'rumpflow-e2e-'));
    mkdirSync(path.join(runDir, 'logs'), { recursive: true, mode: 0o700 });
    const offset = portOffset();
    const base = plan({
      backend: o.backend,
      controller: o.controller,
      hosts: 2,
      rate: 10,
      portOffset: offset,
      runDir,
      root: ROOT,
      node: process.execPath,
    });
    const services = base.services
      .filter((s) => o.hostsims !== false || !s.name.startsWith('hostsim'))
      .map((s): ServicePlan => {
        if (s.name === 'ofc') return { ...s, args: [...s.args, ...(o.controllerArgs ?? [])] };
        // its control socket defaults to /var/run/openvswitch, which need not exist
        if (s.name === 'ovs-testcontroller')
          return {
            ...s,
            args: [
              `--unixctl=${path.join(runDir, 'ovs-testcontroller.ctl')}`,
              ...(o.controllerArgs ?? []),
              ...s.args,
            ],
            sockets: [path.join(runDir, 'ovs-testcontroller.ctl')],
          };
        return s;
      });
    const files = {
      ...base.files,
      'switchd.conf': (base.files['switchd.conf'] ?? '').replace(
        'fail-mode secure',
        `fail-mode ${o.failMode ?? 'secure'}`,
      ),
    };
    const p: Plan = { ...base, files, services, hosts: o.hostsims === false ? [] : base.hosts };
    for (const [name, text] of Object.entries(p.files))
      writeFileSync(path.join(runDir, name), text, { mode: 0o600 });
    const sup = new Supervisor(runDir);
    const t = new Topo(o, p, runDir, sup, offset, []);
    try {
      for (const s of p.services) await sup.start(s);
      // the namespaces on vxlan2 and vxlan3 (same port arithmetic as the plan)
      for (const i of o.namespaces === false ? [] : [2, 3]) {
        t.hosts.push(
          await VxlanHost.create({
            name: `${o.tag}h${i}`,
            cidr: `10.0.0.${100 + i}/24`,
            switchPort: 4801 + i + offset,
            hostPort: 4901 + i + offset,
          }),
        );
      }
    } catch (e) {
      await t.stop();
      if (e instanceof StartError) throw new Error(`${e.message}\n${e.logTail}`);
      throw e;
    }
    return t;
  }

  service(name: string): ServicePlan {
    const s = this.plan.services.find((x) => x.name === name);
    if (!s) throw new Error(`no service ${name}`);
    return s;
  }

  /** The current process of a service. */
  running(name: string): Running {
    const r = [...this.sup.running].reverse().find((x) => x.plan.name === name);
    if (!r) throw new Error(`${name} is not running`);
    return r;
  }

  /** SIGKILL a service's process group and wait until it is gone. */
  async kill(name: string): Promise<void> {
    const r = this.running(name);
    if (r.exit) return;
    this.killed.add(r);
    killGroup(r);
    await r.exited;
    for (const s of r.plan.sockets) rmSync(s, { force: true });
  }

  /** Start a (killed) service again and wait until it is healthy. */
  async restart(name: string): Promise<Running> {
    return this.sup.start(this.service(name));
  }

  /** `ping` between the two namespace hosts; the number of replies (0 when none came back). */
  async pingReplies(count = 5, intervalSec = 0.2): Promise<number> {
    const [a, b] = this.hosts as [VxlanHost, VxlanHost];
    let out: string;
    try {
      out = await a.ping(b.address, count, intervalSec);
    } catch (e) {
      out = String((e as Error).message);
    }
    const m = /(\d+) received/.exec(out);
    return m ? Number(m[1]) : 0;
  }

  /** `ovs-ofctl -O OpenFlow13 dump-flows` on switchd's ptcp listener. */
  async dumpFlows(): Promise<string> {
    const { stdout } = await execFileP(
      'ovs-ofctl',
      ['-O', 'OpenFlow13', 'dump-flows', `tcp:${LOOPBACK}:${this.plan.ports.switchdPtcp}`],
      { timeout: 15_000 },
    );
    return stdout;
  }

  async ofctl(args: readonly string[], timeoutMs = 60_000): Promise<string> {
    const { stdout } = await execFileP(
      'ovs-ofctl',
      [
        '-O',
        'OpenFlow13',
        ...args.slice(0, 1),
        `tcp:${LOOPBACK}:${this.plan.ports.switchdPtcp}`,
        ...args.slice(1),
      ],
      { timeout: timeoutMs, maxBuffer: 64 << 20 },
    );
    return stdout;
  }

  /** Delete the flows toward the namespace hosts (non-strict, so the table-miss flow stays). */
  async forgetLearned(): Promise<void> {
    for (const h of this.hosts) await this.ofctl(['del-flows', `dl_dst=${h.mac}`]);
  }

  /** The hostsims' ping totals (sent, replies, lost) right now. */
  async hostsim(): Promise<Totals> {
    return totals(await sample(this.plan.hosts, this.plan.kernelAdmin));
  }

  /** Services that died by themselves (not killed by the test). */
  unexpectedExits(): string[] {
    const latest = new Map<string, Running>();
    for (const r of this.sup.running) latest.set(r.plan.name, r);
    return [...latest.values()]
      .filter((r) => r.exit !== undefined && !this.killed.has(r))
      .map((r) => r.plan.name);
  }

  /** What is still there after stop(): live process groups, namespaces, socket files, the run directory. */
  async leftovers(): Promise<string[]> {
    const out: string[] = [];
    for (const r of this.sup.running) {
      const pid = r.child.pid;
      if (pid === undefined) continue;
      try {
        process.kill(-pid, 0);
        out.push(`process group ${pid} (${r.plan.name})`);
      } catch {
        // gone, as it should be
      }
    }
    const { stdout } = await execFileP('ip', ['netns', 'list']);
    for (const h of this.hosts) if (stdout.includes(h.netns)) out.push(`namespace ${h.netns}`);
    for (const f of this.plan.services.flatMap((x) => x.sockets)) if (existsSync(f)) out.push(`socket ${f}`);
    if (existsSync(this.runDir)) out.push(`run directory ${this.runDir}`);
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.remove()));
    await this.sup.stop(3000);
    // whatever a service started in its group (rumphijack's child node) goes too
    for (const r of this.sup.running) killGroup(r);
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

function killGroup(r: Running): void {
  const pid = r.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Wait until `f` returns a truthy value (polling), or throw with the last value. */
export async function until<T>(
  what: string,
  f: () => Promise<T>,
  timeoutMs = 20_000,
  everyMs = 250,
): Promise<Exclude<T, undefined | null | false | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let err: unknown;
  for (;;) {
    try {
      last = await f();
      if (last) return last as Exclude<T, undefined | null | false | 0 | ''>;
    } catch (e) {
      err = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not within ${timeoutMs} ms (last ${JSON.stringify(last)}${err ? `, ${String(err)}` : ''})`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Learned flows in a dump: those matching on dl_dst with n_packets > 0. */
export function learnedFlows(dump: string): { dst: string; packets: number }[] {
  return dump.split('\n').flatMap((l) => {
    const dst = /dl_dst=([0-9a-f:]{17})/.exec(l)?.[1];
    const n = /n_packets=(\d+)/.exec(l)?.[1];
    return dst && n && Number(n) > 0 ? [{ dst, packets: Number(n) }] : [];
  });
}
