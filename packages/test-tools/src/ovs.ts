// Open vSwitch for tests, without root or kernel modules: ovsdb-server and
// `ovs-vswitchd --enable-dummy --disable-system` in a temporary directory (database,
// sockets, pid files and logs all there, through OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR/
// OVS_SYSCONFDIR), bridges of datapath_type=dummy with ports of type=dummy, frames
// injected with `ovs-appctl netdev-dummy/receive`. Used by ofc's and switchd's tests and
// the launcher's backends benchmark:
//
//   const why = ovsMissing();                       // undefined, or why OVS cannot run here
//   const ovs = await Ovs.start();                  // throws with the reason if it cannot
//   await ovs.addBridge('br0', { dpid: 1n, ports: 3, controller: ['tcp:127.0.0.1:6653'] });
//   await ovs.receive('br0', 1, frame);             // a frame in on port 1 of br0
//   await ovs.dumpFlows('br0');                     // ovs-ofctl -O OpenFlow13 dump-flows lines
//   await ovs.stop();                               // kills both daemons, removes the directory
//
// Daemons are killed by pid (never by name): each pid is read from its pid file as soon as
// the daemon has started and kept, so stop() does not depend on files still being there.
// stopAllOvs() stops every instance this process started (afterAll, in a finally), and
// whatever is left when the process exits is killed with SIGKILL.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/sbin'];
const PROGRAMS = [
  'ovsdb-tool',
  'ovsdb-server',
  'ovs-vswitchd',
  'ovs-vsctl',
  'ovs-ofctl',
  'ovs-appctl',
] as const;
const SCHEMAS = [
  '/usr/share/openvswitch/vswitch.ovsschema',
  '/usr/local/share/openvswitch/vswitch.ovsschema',
];

/** Where `program` is on PATH or in an sbin directory (Open vSwitch's daemons live there), if anywhere. */
export function which(program: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), ...SBIN].filter(Boolean);
  return dirs.map((d) => join(d, program)).find((p) => existsSync(p));
}

/** Why Open vSwitch cannot run here, or undefined when it can. */
export function ovsMissing(): string | undefined {
  const missing = PROGRAMS.filter((p) => which(p) === undefined);
  if (missing.length > 0)
    return `${missing.join(', ')} not installed (apt-get install -y openvswitch-switch)`;
  if (!SCHEMAS.some((s) => existsSync(s))) return 'vswitch.ovsschema not found';
  return undefined;
}

export interface BridgeOptions {
  /** other-config:datapath-id (16 hex digits on the wire). */
  readonly dpid?: bigint;
  /** Dummy ports p<bridge-index>-1..N with ofport 1..N (default 0). */
  readonly ports?: number;
  /** Controller targets (tcp:127.0.0.1:PORT, ptcp:PORT, ...). */
  readonly controller?: readonly string[];
  /** fail-mode (default secure: no NORMAL flows of its own when the controller is away). */
  readonly failMode?: 'secure' | 'standalone';
}

const started = new Set<Ovs>();

export class Ovs {
  private stopped = false;
  /** Pids of the daemons started, ovsdb-server first. */
  readonly pids: number[] = [];
  private readonly path: Record<string, string>;
  readonly env: NodeJS.ProcessEnv;

  private constructor(readonly dir: string) {
    this.path = Object.fromEntries(PROGRAMS.map((p) => [p, which(p) ?? p]));
    this.env = { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  }

  /** Start ovsdb-server and ovs-vswitchd in a fresh directory; throws with the reason on failure. */
  static async start(): Promise<Ovs> {
    const why = ovsMissing();
    if (why !== undefined) throw new Error(why);
    const schema = SCHEMAS.find((s) => existsSync(s)) as string;
    const ovs = new Ovs(mkdtempSync(join(tmpdir(), 'ovs-')));
    started.add(ovs);
    const d = ovs.dir;
    try {
      await ovs.run('ovsdb-tool', 'create', join(d, 'conf.db'), schema);
      await ovs.startDaemon('ovsdb-server', join(d, 'conf.db'), `--remote=punix:${join(d, 'db.sock')}`);
      await ovs.vsctl('--no-wait', 'init');
      await ovs.startDaemon(
        'ovs-vswitchd',
        `unix:${join(d, 'db.sock')}`,
        '--enable-dummy',
        '--disable-system',
      );
    } catch (e) {
      await ovs.stop();
      throw e;
    }
    return ovs;
  }

  /**
   * Start a daemon detached, its control socket, pid file and log in the directory, and keep
   * the pid it wrote (--detach returns once the pid file is written).
   */
  private async startDaemon(name: 'ovsdb-server' | 'ovs-vswitchd', ...args: string[]): Promise<void> {
    const file = (ext: string) => join(this.dir, `${name}.${ext}`);
    await this.run(
      name,
      ...args,
      `--unixctl=${file('ctl')}`,
      `--pidfile=${file('pid')}`,
      `--log-file=${file('log')}`,
      '--detach',
      '--no-chdir',
    );
    const pid = Number(readFileSync(file('pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${name}: no pid in its pid file`);
    this.pids.push(pid);
  }

  /** Run one of Open vSwitch's programs with this instance's environment; resolves with stdout. */
  run(program: (typeof PROGRAMS)[number], ...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.path[program] ?? program,
        args,
        { env: this.env, timeout: 30_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`${program} ${args.join(' ')}: ${stderr || err.message}`));
          else resolve(stdout);
        },
      );
    });
  }

  vsctl(...args: string[]): Promise<string> {
    return this.run('ovs-vsctl', `--db=unix:${join(this.dir, 'db.sock')}`, '--timeout=20', ...args);
  }

  /** ovs-ofctl -O OpenFlow13 ARGS (a bridge name argument talks to DIR/BRIDGE.mgmt). */
  ofctl(...args: string[]): Promise<string> {
    return this.run('ovs-ofctl', '-O', 'OpenFlow13', ...args);
  }

  appctl(...args: string[]): Promise<string> {
    return this.run('ovs-appctl', '-t', join(this.dir, 'ovs-vswitchd.ctl'), ...args);
  }

  /** The name of port `n` of a bridge: br0 port 1 is br0-p1. */
  portName(bridge: string, n: number): string {
    return `${bridge}-p${n}`;
  }

  /** A bridge of the dummy datapath, OpenFlow 1.3 only, fail-mode secure by default. */
  async addBridge(name: string, opts: BridgeOptions = {}): Promise<void> {
    const args = [
      'add-br',
      name,
      '--',
      'set',
      'bridge',
      name,
      'datapath_type=dummy',
      'protocols=OpenFlow13',
      `fail-mode=${opts.failMode ?? 'secure'}`,
    ];
    if (opts.dpid !== undefined)
      args.push(`other-config:datapath-id=${opts.dpid.toString(16).padStart(16, '0')}`);
    for (let i = 1; i <= (opts.ports ?? 0); i++) args.push('--', ...this.addPortArgs(name, i));
    await this.vsctl(...args);
    if (opts.controller?.length) await this.setController(name, ...opts.controller);
  }

  async addPort(bridge: string, n: number): Promise<void> {
    await this.vsctl(...this.addPortArgs(bridge, n));
  }

  /** ovs-vsctl's words for dummy port `n` of a bridge, with OpenFlow port number `n`. */
  private addPortArgs(bridge: string, n: number): string[] {
    const port = this.portName(bridge, n);
    return ['add-port', bridge, port, '--', 'set', 'interface', port, 'type=dummy', `ofport_request=${n}`];
  }

  async delPort(bridge: string, n: number): Promise<void> {
    await this.vsctl('del-port', bridge, this.portName(bridge, n));
  }

  async setController(bridge: string, ...targets: string[]): Promise<void> {
    await this.vsctl('set-controller', bridge, ...targets);
  }

  async delController(bridge: string): Promise<void> {
    await this.vsctl('del-controller', bridge);
  }

  /** Whether every controller connection of the bridge is up (the controller table's is_connected). */
  async controllerConnected(bridge: string): Promise<boolean> {
    const uuids = (await this.vsctl('get', 'bridge', bridge, 'controller')).match(/[0-9a-f-]{36}/g) ?? [];
    if (uuids.length === 0) return false;
    const states = await Promise.all(uuids.map((u) => this.vsctl('get', 'controller', u, 'is_connected')));
    return states.every((s) => s.trim() === 'true');
  }

  /** A frame received on port `n` of a bridge (hex text, bytes, or ovs-appctl's flow syntax). */
  async receive(bridge: string, n: number, frame: Uint8Array | string): Promise<void> {
    const text = typeof frame === 'string' ? frame : Buffer.from(frame).toString('hex');
    await this.appctl('netdev-dummy/receive', this.portName(bridge, n), text);
  }

  /** The flow lines of ovs-ofctl dump-flows (without the header). */
  async dumpFlows(bridge: string, ...args: string[]): Promise<string[]> {
    const out = await this.ofctl('dump-flows', bridge, ...args);
    return out.split('\n').filter((l) => l.startsWith(' '));
  }

  /** The bridge's management socket (ovs-ofctl's, or ofc --connect unix:...). */
  mgmt(bridge: string): string {
    return join(this.dir, `${bridge}.mgmt`);
  }

  /** ovs-vswitchd's log, for failure messages. */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'ovs-vswitchd.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Stop both daemons (SIGTERM, then SIGKILL after 5 s) and remove the directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const pid of this.pids) signal(pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (this.pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const pid of this.pids.filter(alive)) signal(pid, 'SIGKILL');
    started.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** At process exit: SIGKILL, synchronously. */
  killNow(): void {
    for (const pid of this.pids) signal(pid, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Whatever a failed or interrupted suite left running goes with the test process.
process.once('exit', () => {
  for (const o of started) o.killNow();
});

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Running (a zombie — exited, not yet reaped by its parent — is not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Stop every instance this process started (afterAll of suites that may have failed midway). */
export async function stopAllOvs(): Promise<void> {
  await Promise.all([...started].map((o) => o.stop()));
}
