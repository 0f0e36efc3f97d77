// Linux test hosts in network namespaces, each with an eth0 that is a kernel VXLAN interface
// tunnelled over loopback UDP to a userspace switch port (a rump kernel's vxlanN). Needs root
// and iproute2 >= 6.5.
//
// Why `nolocalbypass`: Linux hands VXLAN for a local destination straight to a local VXLAN
// device ("local bypass") and never to a userspace UDP socket, so over loopback the interface
// must be created with it; iproute2 understands the flag from 6.5. Debian bookworm ships 6.1,
// its bookworm-backports suite a newer one, which ensureIproute2() installs (as .ci/run does).
//
// The VXLAN device is created in the caller's namespace (so its UDP socket is bound there, on
// loopback, where the userspace switch is) and then moved into the host's namespace as eth0.
// IPv6 is switched off inside the namespace so the only traffic is what the test makes (ARP
// and IPv4), which keeps counters comparable.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { warnSkipped } from './skip-banner.js';

const run = promisify(execFile);

/** Make `ip`, `bridge`, `sysctl` and `ping` findable even with a minimal PATH. */
const ENV = { ...process.env, LC_ALL: 'C', PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin` };

async function sh(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { env: ENV, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

function syncOk(cmd: string, args: readonly string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { env: ENV, encoding: 'utf8', timeout: 10_000 });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Whether this `ip` can create VXLAN interfaces with `nolocalbypass`. */
export function iprouteHasNolocalbypass(): boolean {
  return /\[no\]localbypass/.test(syncOk('ip', ['link', 'help', 'vxlan']).out);
}

/**
 * Make sure `ip` understands `nolocalbypass`: where it does not and we are root on Debian
 * bookworm, install iproute2 from bookworm-backports, from the mirror apt already uses.
 * Returns undefined when ready, else why not.
 */
export async function ensureIproute2(): Promise<string | undefined> {
  if (iprouteHasNolocalbypass()) return undefined;
  if (process.getuid?.() !== 0)
    return 'iproute2 lacks nolocalbypass (needs >= 6.5) and we are not root to install it';
  const src = '/etc/apt/sources.list.d/bookworm-backports.sources';
  try {
    if (!existsSync(src)) {
      const found = syncOk('sh', [
        '-c',
        "grep -rhoE '^URIs: *[^ ]+/debian/?$' /etc/apt/sources.list.d/ 2>/dev/null | head -n1 | sed 's/^URIs: *//'",
      ]).out.trim();
      if (found === '') return 'iproute2 lacks nolocalbypass and no Debian mirror is configured for apt';
      await sh('sh', [
        '-c',
        `printf 'Types: deb\\nURIs: %s\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' '${found}' > ${src}`,
      ]);
    }
    await sh('apt-get', ['update', '-qq'], 180_000).catch(() => '');
    await sh('apt-get', ['install', '-y', '-qq', '-t', 'bookworm-backports', 'iproute2'], 300_000);
  } catch (e) {
    return `installing iproute2 from bookworm-backports failed: ${(e as Error).message}`;
  }
  return iprouteHasNolocalbypass() ? undefined : 'iproute2 from bookworm-backports still lacks nolocalbypass';
}

/** Why network namespaces with VXLAN hosts cannot be made here, or undefined when they can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: creating network namespaces needs CAP_SYS_ADMIN';
  if (!syncOk('ip', ['-V']).ok) return '`ip` (iproute2) is not installed';
  if (!syncOk('ping', ['-V']).ok) return '`ping` (iputils-ping) is not installed';
  const why = await ensureIproute2();
  if (why !== undefined) return why;
  // the proof: make one and remove it
  const probe = `rfprobe${process.pid}`;
  const made = syncOk('ip', ['netns', 'add', probe]);
  syncOk('ip', ['netns', 'del', probe]);
  if (!made.ok) return `ip netns add failed: ${made.out.trim()}`;
  return undefined;
}

/**
 * Print, where namespaces cannot be made, the banner a skipped suite owes its reader, and
 * return the reason (undefined: go ahead).
 */
export async function requireNetns(suite: string, unchecked: readonly string[]): Promise<string | undefined> {
  const why = await netnsUnavailable();
  if (why !== undefined) {
    warnSkipped(suite, `Linux network namespaces cannot be made here (${why})`, unchecked, [
      'Run it as root on Linux with iproute2 >= 6.5 (Debian bookworm: apt-get install -t bookworm-backports iproute2)',
    ]);
  }
  return why;
}

export interface VxlanHostOptions {
  /** A short name, made unique per process (the namespace is `rf-NAME-PID`). */
  readonly name: string;
  /** The host's address with its prefix length, e.g. `10.77.0.1/24`. */
  readonly cidr: string;
  /** Where the host sends its VXLAN: the switch port's UDP port on 127.0.0.1. */
  readonly switchPort: number;
  /** The UDP port the host's VXLAN device listens on, on 127.0.0.1. */
  readonly hostPort: number;
  /** VXLAN network identifier (default 42). */
  readonly vni?: number;
  /** eth0's MTU (default 1400, room for the VXLAN header within loopback's). */
  readonly mtu?: number;
}

export interface InterfaceCounters {
  readonly rxPackets: number;
  readonly rxBytes: number;
  readonly txPackets: number;
  readonly txBytes: number;
}

const hosts = new Set<VxlanHost>();

/** One test host: a namespace with eth0 (VXLAN) and lo up. */
export class VxlanHost {
  private removed = false;

  private constructor(
    readonly netns: string,
    readonly cidr: string,
    readonly mac: string,
  ) {}

  /** The host's IPv4 address (without the prefix length). */
  get address(): string {
    return this.cidr.split('/')[0] as string;
  }

  /** Create the host; on any failure whatever was made is removed again. */
  static async create(o: VxlanHostOptions): Promise<VxlanHost> {
    if (!/^[a-z0-9]{1,8}$/.test(o.name)) throw new Error(`host name "${o.name}": 1 to 8 of a-z 0-9`);
    const netns = `rf-${o.name}-${process.pid}`;
    // interface names are at most 15 bytes, and this one lives briefly in the caller's namespace
    const dev = `rfx${o.name}${process.pid % 100000}`.slice(0, 15);
    const vni = o.vni ?? 42;
    try {
      await sh('ip', ['netns', 'add', netns]);
      await sh('ip', ['netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
      await sh('ip', ['netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
      await sh('ip', [
        'link',
        'add',
        dev,
        'type',
        'vxlan',
        'id',
        String(vni),
        'local',
        '127.0.0.1',
        'dstport',
        String(o.hostPort),
        'nolearning',
        'nolocalbypass',
      ]);
      await sh('bridge', [
        'fdb',
        'append',
        '00:00:00:00:00:00',
        'dev',
        dev,
        'dst',
        '127.0.0.1',
        'port',
        String(o.switchPort),
      ]);
      await sh('ip', ['link', 'set', dev, 'netns', netns]);
      await sh('ip', ['-n', netns, 'link', 'set', dev, 'name', 'eth0', 'mtu', String(o.mtu ?? 1400)]);
      await sh('ip', ['-n', netns, 'addr', 'add', o.cidr, 'dev', 'eth0']);
      await sh('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      await sh('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      const link = JSON.parse(await sh('ip', ['-n', netns, '-j', 'link', 'show', 'eth0'])) as {
        address: string;
      }[];
      const h = new VxlanHost(netns, o.cidr, link[0]?.address ?? '');
      hosts.add(h);
      return h;
    } catch (e) {
      await run('ip', ['link', 'del', dev], { env: ENV }).catch(() => undefined);
      await run('ip', ['netns', 'del', netns], { env: ENV }).catch(() => undefined);
      throw e;
    }
  }

  /** Run a command inside the namespace; resolves with stdout, rejects with stderr on failure. */
  exec(argv: readonly string[], timeoutMs = 60_000): Promise<string> {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new Error('exec: empty command');
    return sh('ip', ['netns', 'exec', this.netns, cmd, ...args], timeoutMs);
  }

  /** `ping -c COUNT -i INTERVAL -W 2 ADDR` from this host; its output (rejects when none came back). */
  ping(address: string, count = 5, intervalSec = 0.2): Promise<string> {
    return this.exec(
      ['ping', '-n', '-c', String(count), '-i', String(intervalSec), '-W', '2', address],
      (count * intervalSec + 10) * 1000,
    );
  }

  /** eth0's kernel counters (what the host really sent and received, Ethernet frames). */
  async counters(): Promise<InterfaceCounters> {
    const j = JSON.parse(await sh('ip', ['-n', this.netns, '-s', '-j', 'link', 'show', 'eth0'])) as {
      stats64: { rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number } };
    }[];
    const s = j[0]?.stats64;
    if (!s) throw new Error(`no counters for eth0 in ${this.netns}`);
    return { rxPackets: s.rx.packets, rxBytes: s.rx.bytes, txPackets: s.tx.packets, txBytes: s.tx.bytes };
  }

  /** Delete the namespace (and with it eth0). Idempotent. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    hosts.delete(this);
    await run('ip', ['netns', 'del', this.netns], { env: ENV }).catch(() => undefined);
  }
}

/** Remove every host this process made and has not removed (afterAll / afterEach). */
export async function removeAllHosts(): Promise<void> {
  await Promise.all([...hosts].map((h) => h.remove()));
}

// a test runner killed mid-test still leaves nothing behind
process.once('exit', () => {
  for (const h of hosts) spawnSync('ip', ['netns', 'del', h.netns], { env: ENV });
});
