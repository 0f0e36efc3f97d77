// ifconfig(8) as a library: the grammar (argv into operations), their execution through the
// interface ioctls of @rumpflow/sysproxy's ifioctl table on a datagram socket, the `-a`
// listing in ifconfig's manner, and the `--rc` file runner. The syscalls are injected
// (IfconfigSyscalls), so rumpctl runs it over rumpclient and rump-kernel-server in-process.
//
// Grammar (words are taken in order, each operation executed in order, as ifconfig does):
//   ifconfig [-a]                 every interface
//   ifconfig -C                   the interface cloners
//   ifconfig IF                   one interface
//   ifconfig IF OP...             where OP is
//     create | destroy | up | down | mtu N
//     tunnel SRC[:PORT] DST[:PORT] | -tunnel   (vxlan; port 4789 when left out)
//     vnetid N                    (vxlan; 0..16777215)
//     inet ADDR/LEN | inet ADDR [netmask MASK]
//     add IF [portno N] | portno IF N | del IF | addlocal IF     (switch)
//     datapath ID                 (switch; decimal, 0x-hex or 0-octal, as strtoull base 0)

import { AF, Interrupt, type Kernel, type Process, SOCK } from '@rumpflow/rump-kernel';
import {
  ERRNO,
  IFBIF,
  IFF,
  IFIOCTL,
  type IfIoctlIn,
  type IfIoctlName,
  type IfIoctlOut,
  LINK_STATE,
  IFNAMSIZ,
  decodeIfIoctlOut,
  encodeIfIoctlIn,
  SYSCALLS,
  errnoName,
} from '@rumpflow/sysproxy';

/** The syscalls ifconfig needs: rumpclient's, or the kernel's called in-process. */
export interface IfconfigSyscalls {
  socket(domain: number, type: number, protocol: number): Promise<number>;
  /** ioctl(2): resolves with the output structure's bytes (null when none); rejects with an error carrying `errno`. */
  ioctl(fd: number, cmd: number, data: Uint8Array | null): Promise<Uint8Array | null>;
  close(fd: number): Promise<void>;
}

/**
 * A kernel's syscalls called in-process, as process `p` (rump-kernel-server's `--rc`):
 * failures reject with the kernel's KernelError, which carries the errno.
 */
export function kernelSyscalls(kernel: Kernel, p: Process): IfconfigSyscalls {
  const call = (sysno: number, args: Parameters<Kernel['syscall']>[2]) =>
    kernel.syscall(p, sysno, args, new Interrupt());
  return {
    socket: async (domain, type, protocol) =>
      Number((await call(SYSCALLS.__socket30.number, [domain, type, protocol]))[0]),
    ioctl: async (fd, cmd, data) =>
      ((await call(SYSCALLS.ioctl.number, [fd, cmd, data]))[1] ?? null) as Uint8Array | null,
    close: async (fd) => void (await call(SYSCALLS.close.number, [fd])),
  };
}

export interface Endpoint4 {
  readonly address: string;
  readonly port: number;
}

/** One operation on an interface, in the order given. */
export type IfOp =
  | { readonly op: 'create' }
  | { readonly op: 'destroy' }
  | { readonly op: 'up' }
  | { readonly op: 'down' }
  | { readonly op: 'mtu'; readonly mtu: number }
  | { readonly op: 'tunnel'; readonly src: Endpoint4; readonly dst: Endpoint4 }
  | { readonly op: '-tunnel' }
  | { readonly op: 'vnetid'; readonly vnetid: number }
  | { readonly op: 'inet'; readonly address: string; readonly prefixlen: number }
  | { readonly op: 'add'; readonly member: string; readonly portno?: number }
  | { readonly op: 'portno'; readonly member: string; readonly portno: number }
  | { readonly op: 'del'; readonly member: string }
  | { readonly op: 'addlocal'; readonly member: string }
  | { readonly op: 'datapath'; readonly datapath: bigint };

export type IfconfigCommand =
  | { readonly kind: 'list' }
  | { readonly kind: 'cloners' }
  | { readonly kind: 'show'; readonly ifname: string }
  | { readonly kind: 'configure'; readonly ifname: string; readonly ops: readonly IfOp[] };

/** A command line ifconfig cannot parse; the message names the bad word. */
export class IfconfigUsageError extends Error {
  override readonly name = 'IfconfigUsageError';
}

/** An operation the kernel refused: which interface, which operation, which errno. */
export class IfconfigError extends Error {
  override readonly name = 'IfconfigError';
  constructor(
    readonly ifname: string,
    readonly what: string,
    readonly errno: number,
  ) {
    super(`${ifname}: ${what}: ${errnoName(errno)}`);
  }
}

/** VXLAN's IANA port, used when `tunnel` leaves a port out. */
export const VXLAN_PORT = 4789;
/** OpenFlow's highest physical port number (OFPP_MAX). */
const OFPP_MAX = 0xffffff00;
const VNI_MAX = 0xffffff;

// ---- parsing ------------------------------------------------------------------------

function checkIfname(word: string, what = 'interface name'): string {
  const len = new TextEncoder().encode(word).length;
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(word) || len >= IFNAMSIZ) {
    throw new IfconfigUsageError(
      `"${word}": not an ${what} (a letter, then letters, digits, _ . -; at most ${IFNAMSIZ - 1} bytes)`,
    );
  }
  return word;
}

function decimal(word: string | undefined, what: string, min: number, max: number): number {
  if (word === undefined) throw new IfconfigUsageError(`${what}: missing value`);
  if (!/^\d+$/.test(word) || Number(word) < min || Number(word) > max) {
    throw new IfconfigUsageError(`${what}: "${word}" is not a number from ${min} to ${max}`);
  }
  return Number(word);
}

/** strtoull(word, NULL, 0) over the whole word: 0x-hex, 0-octal or decimal, within 64 bits. */
export function parseDatapathId(word: string): bigint {
  const m = /^(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(word);
  if (!m) throw new IfconfigUsageError(`datapath: "${word}" is not a number (decimal, 0x-hex or 0-octal)`);
  const v =
    m[1] !== undefined
      ? BigInt(`0x${m[1]}`)
      : m[2] !== undefined
        ? BigInt(`0o${m[2] === '0' ? '0' : m[2].slice(1)}`)
        : BigInt(m[3] as string);
  if (v > 0xffffffffffffffffn) throw new IfconfigUsageError(`datapath: "${word}" does not fit in 64 bits`);
  return v;
}

function ipv4(word: string, what: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(word);
  if (!m || m.slice(1).some((p) => Number(p) > 255 || (p.length > 1 && p.startsWith('0')))) {
    throw new IfconfigUsageError(`${what}: "${word}" is not an IPv4 address`);
  }
  return m.slice(1).map(Number).join('.');
}

function endpoint(word: string | undefined, what: string): Endpoint4 {
  if (word === undefined)
    throw new IfconfigUsageError(`tunnel: missing ${what} address (tunnel SRC[:PORT] DST[:PORT])`);
  if (word.includes('[') || word.split(':').length > 2) {
    throw new IfconfigUsageError(`tunnel: "${word}": only IPv4 tunnel endpoints are supported`);
  }
  const [addr, port] = word.split(':') as [string, string | undefined];
  return {
    address: ipv4(addr, `tunnel ${what}`),
    port: port === undefined ? VXLAN_PORT : decimal(port, `tunnel ${what} port`, 1, 65535),
  };
}

function prefixFromMask(word: string): number {
  let bits: number;
  if (/^0x[0-9a-fA-F]{8}$/.test(word)) bits = parseInt(word.slice(2), 16);
  else
    bits = ipv4(word, 'netmask')
      .split('.')
      .reduce((a, o) => a * 256 + Number(o), 0);
  const len = bits === 0 ? 0 : 32 - Math.log2((~bits >>> 0) + 1);
  if (!Number.isInteger(len)) throw new IfconfigUsageError(`netmask: "${word}" is not a contiguous mask`);
  return len;
}

/**
 * Parse ifconfig's arguments (without the program name). Throws IfconfigUsageError naming
 * the word it could not take.
 */
export function parseIfconfig(argv: readonly string[]): IfconfigCommand {
  if (argv.length === 0 || (argv.length === 1 && argv[0] === '-a')) return { kind: 'list' };
  if (argv.length === 1 && argv[0] === '-C') return { kind: 'cloners' };
  const first = argv[0] as string;
  if (first.startsWith('-')) {
    throw new IfconfigUsageError(
      first === '-a' || first === '-C'
        ? `${first} takes no further arguments`
        : `unknown option "${first}" (-a, -C)`,
    );
  }
  const ifname = checkIfname(first);
  if (argv.length === 1) return { kind: 'show', ifname };
  const ops: IfOp[] = [];
  for (let i = 1; i < argv.length; i++) {
    const w = argv[i] as string;
    const next = (): string | undefined => argv[++i];
    switch (w) {
      case 'create':
      case 'destroy':
      case 'up':
      case 'down':
      case '-tunnel':
        ops.push({ op: w });
        break;
      case 'mtu':
        ops.push({ op: 'mtu', mtu: decimal(next(), 'mtu', 68, 65535) });
        break;
      case 'tunnel': {
        const src = endpoint(next(), 'source');
        const dst = endpoint(next(), 'destination');
        ops.push({ op: 'tunnel', src, dst });
        break;
      }
      case 'vnetid':
        ops.push({ op: 'vnetid', vnetid: decimal(next(), 'vnetid', 0, VNI_MAX) });
        break;
      case 'inet': {
        const a = next();
        if (a === undefined) throw new IfconfigUsageError('inet: missing address (inet ADDR/LEN)');
        const slash = a.indexOf('/');
        if (slash >= 0) {
          ops.push({
            op: 'inet',
            address: ipv4(a.slice(0, slash), 'inet'),
            prefixlen: decimal(a.slice(slash + 1), 'inet prefix length', 0, 32),
          });
        } else if (argv[i + 1] === 'netmask') {
          i++;
          const m = next();
          if (m === undefined) throw new IfconfigUsageError('netmask: missing value');
          ops.push({ op: 'inet', address: ipv4(a, 'inet'), prefixlen: prefixFromMask(m) });
        } else {
          ops.push({ op: 'inet', address: ipv4(a, 'inet'), prefixlen: 32 });
        }
        break;
      }
      case 'add': {
        const m = next();
        if (m === undefined)
          throw new IfconfigUsageError('add: missing member interface (add IF [portno N])');
        const member = checkIfname(m, 'interface name after add');
        // `add IF portno N` (ours) vs `add IF` then OpenBSD's `portno IF N`: the word after portno says which
        if (argv[i + 1] === 'portno' && /^\d+$/.test(argv[i + 2] ?? '')) {
          i++;
          ops.push({ op: 'add', member, portno: decimal(next(), 'portno', 1, OFPP_MAX) });
        } else {
          ops.push({ op: 'add', member });
        }
        break;
      }
      case 'portno': {
        const m = next();
        if (m === undefined) throw new IfconfigUsageError('portno: missing member interface (portno IF N)');
        const member = checkIfname(m, 'interface name after portno');
        ops.push({ op: 'portno', member, portno: decimal(next(), 'portno', 1, OFPP_MAX) });
        break;
      }
      case 'del':
      case 'addlocal': {
        const m = next();
        if (m === undefined) throw new IfconfigUsageError(`${w}: missing member interface (${w} IF)`);
        ops.push({ op: w, member: checkIfname(m, `interface name after ${w}`) });
        break;
      }
      case 'datapath': {
        const d = next();
        if (d === undefined) throw new IfconfigUsageError('datapath: missing value (datapath ID)');
        ops.push({ op: 'datapath', datapath: parseDatapathId(d) });
        break;
      }
      default:
        throw new IfconfigUsageError(`${ifname}: unknown word "${w}"`);
    }
  }
  return { kind: 'configure', ifname, ops };
}

// ---- execution ----------------------------------------------------------------------

function errnoOf(e: unknown): number | undefined {
  const n = (e as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

/** A socket for interface ioctls, and typed calls on it. */
class IfSocket {
  private constructor(
    private readonly sys: IfconfigSyscalls,
    private readonly fd: number,
  ) {}

  static async open(sys: IfconfigSyscalls): Promise<IfSocket> {
    return new IfSocket(sys, await sys.socket(AF.INET, SOCK.DGRAM, 0));
  }

  /** One ioctl by name; a kernel refusal becomes IfconfigError(ifname, what, errno). */
  async call<N extends IfIoctlName>(
    name: N,
    arg: IfIoctlIn<N>,
    ifname: string,
    what: string,
  ): Promise<IfIoctlOut<N>> {
    let out: Uint8Array | null;
    try {
      out = await this.sys.ioctl(this.fd, IFIOCTL[name], encodeIfIoctlIn(name, arg));
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === undefined) throw e;
      throw new IfconfigError(ifname, what, errno);
    }
    return decodeIfIoctlOut(name, out);
  }

  /** As call, but undefined where the kernel says EADDRNOTAVAIL (nothing set). */
  async optional<N extends IfIoctlName>(
    name: N,
    arg: IfIoctlIn<N>,
    ifname: string,
    what: string,
  ): Promise<IfIoctlOut<N> | undefined> {
    try {
      return await this.call(name, arg, ifname, what);
    } catch (e) {
      if (e instanceof IfconfigError && e.errno === ERRNO.EADDRNOTAVAIL) return undefined;
      throw e;
    }
  }

  close(): Promise<void> {
    return this.sys.close(this.fd);
  }
}

async function applyOp(s: IfSocket, name: string, o: IfOp): Promise<void> {
  switch (o.op) {
    case 'create':
      return void (await s.call('SIOCIFCREATE', { name }, name, 'create'));
    case 'destroy':
      return void (await s.call('SIOCIFDESTROY', { name }, name, 'destroy'));
    case 'up':
    case 'down': {
      const { flags } = await s.call('SIOCGIFFLAGS', { name }, name, o.op);
      const want = o.op === 'up' ? flags | IFF.UP : flags & ~IFF.UP;
      return void (await s.call('SIOCSIFFLAGS', { name, flags: want >>> 0 }, name, o.op));
    }
    case 'mtu':
      return void (await s.call('SIOCSIFMTU', { name, mtu: o.mtu }, name, `mtu ${o.mtu}`));
    case 'tunnel':
      return void (await s.call(
        'SIOCSLIFPHYADDR',
        { name, src: o.src.address, srcport: o.src.port, dst: o.dst.address, dstport: o.dst.port },
        name,
        `tunnel ${o.src.address}:${o.src.port} ${o.dst.address}:${o.dst.port}`,
      ));
    case '-tunnel':
      return void (await s.call('SIOCDIFPHYADDR', { name }, name, '-tunnel'));
    case 'vnetid':
      return void (await s.call('SIOCSVNETID', { name, vnetid: o.vnetid }, name, `vnetid ${o.vnetid}`));
    case 'inet':
      return void (await s.call(
        'SIOCAIFADDR',
        { name, addr: o.address, prefixlen: o.prefixlen },
        name,
        `inet ${o.address}/${o.prefixlen}`,
      ));
    case 'add':
      return void (await s.call(
        'SIOCBRDGADD',
        { name, member: o.member, portno: o.portno ?? 0 },
        name,
        `add ${o.member}${o.portno !== undefined ? ` portno ${o.portno}` : ''}`,
      ));
    case 'portno':
      return void (await s.call(
        'SIOCSWSPORTNO',
        { name, member: o.member, portno: o.portno },
        name,
        `portno ${o.member} ${o.portno}`,
      ));
    case 'del':
      return void (await s.call('SIOCBRDGDEL', { name, member: o.member }, name, `del ${o.member}`));
    case 'addlocal':
      return void (await s.call(
        'SIOCBRDGADDL',
        { name, member: o.member, portno: 0 },
        name,
        `addlocal ${o.member}`,
      ));
    case 'datapath':
      return void (await s.call(
        'SIOCSWSDPID',
        { name, datapath: o.datapath },
        name,
        `datapath 0x${o.datapath.toString(16)}`,
      ));
  }
}

/** What one interface looks like, as the `-a` listing shows it. */
export interface InterfaceInfo {
  readonly data: IfIoctlOut<'SIOCGIFDATA'>;
  readonly inet?: { readonly address: string; readonly prefixlen: number };
  readonly tunnel?: { readonly src: Endpoint4; readonly dst: Endpoint4 };
  readonly vnetid?: number;
  readonly datapath?: bigint;
  readonly ports?: readonly { readonly member: string; readonly portno: number; readonly local: boolean }[];
}

async function describe(s: IfSocket, name: string): Promise<InterfaceInfo> {
  const data = await s.call('SIOCGIFDATA', { name }, name, 'show');
  const addr = await s.optional('SIOCGIFADDR', { name }, name, 'inet');
  const info: { -readonly [K in keyof InterfaceInfo]: InterfaceInfo[K] } = { data };
  if (addr) info.inet = { address: addr.addr, prefixlen: addr.prefixlen };
  const driver = data.driver || name.replace(/\d+$/, '');
  if (driver === 'vxlan') {
    const t = await s.optional('SIOCGLIFPHYADDR', { name }, name, 'tunnel');
    if (t)
      info.tunnel = { src: { address: t.src, port: t.srcport }, dst: { address: t.dst, port: t.dstport } };
    const v = await s.optional('SIOCGVNETID', { name }, name, 'vnetid');
    if (v) info.vnetid = v.vnetid;
  }
  if (driver === 'switch') {
    info.datapath = (await s.call('SIOCSWGDPID', { name }, name, 'datapath')).datapath;
    const { ports } = await s.call('SIOCBRDGIFS', { name }, name, 'ports');
    info.ports = ports.map((p) => ({
      member: p.member,
      portno: p.portno,
      local: (p.flags & IFBIF.LOCAL) !== 0,
    }));
  }
  return info;
}

// ---- formatting ---------------------------------------------------------------------

const FLAG_NAMES: readonly [number, string][] = [
  [IFF.UP, 'UP'],
  [IFF.BROADCAST, 'BROADCAST'],
  [IFF.LOOPBACK, 'LOOPBACK'],
  [IFF.RUNNING, 'RUNNING'],
  [IFF.PROMISC, 'PROMISC'],
  [IFF.SIMPLEX, 'SIMPLEX'],
  [IFF.MULTICAST, 'MULTICAST'],
];

/** `flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>` as ifconfig prints them. */
export function formatFlags(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  return `flags=${(flags >>> 0).toString(16)}<${names.join(',')}>`;
}

function netmaskHex(prefixlen: number): string {
  const m = prefixlen === 0 ? 0 : (0xffffffff << (32 - prefixlen)) >>> 0;
  return `0x${m.toString(16).padStart(8, '0')}`;
}

function broadcast(address: string, prefixlen: number): string {
  const a = address.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const host = prefixlen === 32 ? 0 : 2 ** (32 - prefixlen) - 1;
  const b = (a | host) >>> 0;
  return [24, 16, 8, 0].map((sh) => (b >>> sh) & 0xff).join('.');
}

/** One interface in ifconfig's manner (a header line, then tab-indented details). */
export function formatInterface(i: InterfaceInfo): string {
  const d = i.data;
  const lines = [`${d.name}: ${formatFlags(d.flags)} mtu ${d.mtu}`, `\tlladdr ${d.mac}`];
  const status =
    d.linkState === LINK_STATE.UP ? 'active' : d.linkState === LINK_STATE.DOWN ? 'no carrier' : 'unknown';
  lines.push(`\tdriver: ${d.driver} status: ${status}`);
  if (i.vnetid !== undefined) lines.push(`\tencap: vnetid ${i.vnetid}`);
  if (i.tunnel)
    lines.push(
      `\ttunnel: inet ${i.tunnel.src.address}:${i.tunnel.src.port} --> ${i.tunnel.dst.address}:${i.tunnel.dst.port}`,
    );
  if (i.datapath !== undefined) lines.push(`\tdatapath 0x${i.datapath.toString(16).padStart(16, '0')}`);
  for (const p of i.ports ?? []) {
    lines.push(
      p.local
        ? `\t${p.member} port local flags=${IFBIF.LOCAL.toString(16)}<LOCAL>`
        : `\t${p.member} port ${p.portno}`,
    );
  }
  if (i.inet)
    lines.push(
      `\tinet ${i.inet.address} netmask ${netmaskHex(i.inet.prefixlen)} broadcast ${broadcast(i.inet.address, i.inet.prefixlen)}`,
    );
  lines.push(`\tinput: ${d.ipackets} packets, ${d.ibytes} bytes, ${d.ierrors} errors, ${d.iqdrops} drops`);
  lines.push(
    `\toutput: ${d.opackets} packets, ${d.obytes} bytes, ${d.oerrors} errors, ${d.collisions} collisions`,
  );
  if (d.driver === 'vxlan') lines.push(`\tvxlan: ${d.badvni} bad vnetid, ${d.badhdr} bad header`);
  return `${lines.join('\n')}\n`;
}

// ---- running ------------------------------------------------------------------------

/**
 * Run one ifconfig command through `sys`, returning what ifconfig prints (empty for a
 * configuration). Throws IfconfigError for what the kernel refuses (the first refusal stops
 * the rest, as ifconfig does).
 */
export async function runIfconfig(cmd: IfconfigCommand, sys: IfconfigSyscalls): Promise<string> {
  const s = await IfSocket.open(sys);
  try {
    switch (cmd.kind) {
      case 'list': {
        const { interfaces } = await s.call('SIOCGIFCONF', undefined, 'ifconfig', '-a');
        let out = '';
        for (const { name } of interfaces) {
          try {
            out += formatInterface(await describe(s, name));
          } catch (e) {
            // destroyed between the list and the look: not an error of the listing
            if (e instanceof IfconfigError && e.errno === ERRNO.ENXIO) continue;
            throw e;
          }
        }
        return out;
      }
      case 'cloners': {
        const { cloners } = await s.call('SIOCIFGCLONERS', undefined, 'ifconfig', '-C');
        return `${cloners.map((c) => c.name).join(' ')}\n`;
      }
      case 'show':
        return formatInterface(await describe(s, cmd.ifname));
      case 'configure':
        for (const o of cmd.ops) await applyOp(s, cmd.ifname, o);
        return '';
    }
  } finally {
    await s.close();
  }
}

/** Parse and run `ifconfig ARGS...`; usage and kernel errors are thrown as they are. */
export function ifconfig(argv: readonly string[], sys: IfconfigSyscalls): Promise<string> {
  return runIfconfig(parseIfconfig(argv), sys);
}

/** A line of an rc file that failed: its number, its text and why. */
export class RcError extends Error {
  override readonly name = 'RcError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly text: string,
    override readonly cause: Error,
  ) {
    super(`${file}:${line}: ${text}: ${cause.message}`);
  }
}

export interface RcOptions {
  /** The file's name, for messages (default "rc"). */
  readonly file?: string;
  /** Where output (of `ifconfig -a` lines, say) goes. */
  readonly out?: (text: string) => void;
}

/** Split a line into words (blanks separate them; `#` to the end of the line is a comment). */
function words(line: string): string[] {
  const hash = line.indexOf('#');
  return (hash >= 0 ? line.slice(0, hash) : line).split(/\s+/).filter(Boolean);
}

/**
 * Run an rc file's text: one command per line in rumpctl's syntax (only `ifconfig ...`),
 * blank lines and `#` comments skipped. The first line that fails stops the run with an
 * RcError naming the file and line. Returns the number of commands run.
 */
export async function runRc(text: string, sys: IfconfigSyscalls, opts: RcOptions = {}): Promise<number> {
  const file = opts.file ?? 'rc';
  const lines = text.split(/\r?\n/);
  // parse everything first: a typo on line 9 stops boot before line 1 half-configures
  const cmds: { n: number; text: string; cmd: IfconfigCommand }[] = [];
  lines.forEach((raw, idx) => {
    const w = words(raw);
    if (w.length === 0) return;
    const t = raw.trim();
    try {
      if (w[0] !== 'ifconfig')
        throw new IfconfigUsageError(`unknown command "${w[0]}" (rc files take ifconfig lines)`);
      cmds.push({ n: idx + 1, text: t, cmd: parseIfconfig(w.slice(1)) });
    } catch (e) {
      throw new RcError(file, idx + 1, t, e as Error);
    }
  });
  for (const c of cmds) {
    try {
      const out = await runIfconfig(c.cmd, sys);
      if (out !== '') opts.out?.(out);
    } catch (e) {
      if (e instanceof IfconfigError || e instanceof IfconfigUsageError)
        throw new RcError(file, c.n, c.text, e);
      throw e;
    }
  }
  return cmds.length;
}
