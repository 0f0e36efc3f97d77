// /dev/bpf: packet capture, the rump kernel's bpf(4). Each open is one capture: BIOCSETIF
// binds it to an interface (DLT_EN10MB: every frame the interface moves, both directions),
// BIOCSDLT DLT_OPENFLOW on a switch captures its controller channels' messages instead (with
// OpenBSD's DLT_OPENFLOW pseudo-header). Reads return a classic pcap file as a byte stream
// (see @rumpflow/sysproxy's ifioctl.ts), so `rumpctl tcpdump -w FILE` just copies bytes.
// The buffer is bounded (`bufferSize`); a record that does not fit is dropped and counted
// (BIOCGSTATS). The same capture is offered to the admin API's stream (`Capture`).

import {
  type Driver,
  type FileObject,
  type IoContext,
  type IoctlResult,
  KernelError,
  type Timers,
  WaitChannel,
  blockUntil,
} from '@rumpflow/rump-kernel';
import { DLT, ERRNO, decodeIfIoctlIn, encodeIfIoctlOut, ifIoctlName } from '@rumpflow/sysproxy';
import type { Interface } from './ifnet.js';
import { SwitchInterface } from './switch.js';

export const PCAP_SNAPLEN = 262144;
export const DLT_OPENFLOW_TO_SWITCH = 1;
export const DLT_OPENFLOW_TO_CONTROLLER = 2;

/** The 24-byte classic pcap file header (little-endian, microseconds). */
export function pcapFileHeader(linktype: number, snaplen = PCAP_SNAPLEN): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linktype, true);
  return b;
}

/** One pcap record: 16-byte header (time in ms since the epoch) and the data, cut at snaplen. */
export function pcapRecord(timeMs: number, parts: readonly Uint8Array[], snaplen = PCAP_SNAPLEN): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const cap = Math.min(len, snaplen);
  const b = new Uint8Array(16 + cap);
  const v = new DataView(b.buffer);
  const sec = Math.floor(timeMs / 1000);
  v.setUint32(0, sec, true);
  v.setUint32(4, Math.floor((timeMs - sec * 1000) * 1000), true);
  v.setUint32(8, cap, true);
  v.setUint32(12, len, true);
  let o = 16;
  for (const p of parts) {
    if (o >= b.length) break;
    const k = Math.min(p.length, b.length - o);
    b.set(p.subarray(0, k), o);
    o += k;
  }
  return b;
}

/** The DLT_OPENFLOW pseudo-header (OpenBSD's struct dlt_openflow_hdr, packed, big-endian). */
export function openflowPseudoHeader(toSwitch: boolean, datapathId: bigint): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint32(0, toSwitch ? DLT_OPENFLOW_TO_SWITCH : DLT_OPENFLOW_TO_CONTROLLER);
  v.setBigUint64(4, datapathId);
  return b;
}

/**
 * A capture on one interface: pcap records to `emit` (the file header first). `dlt` is
 * DLT_EN10MB, or DLT_OPENFLOW on a switch. Returns the function that stops it.
 */
export function startCapture(
  ifp: Interface,
  dlt: number,
  now: () => number,
  emit: (bytes: Uint8Array) => void,
): () => void {
  checkCapture(ifp, dlt);
  if (dlt === DLT.EN10MB) {
    emit(pcapFileHeader(dlt));
    return ifp.addTap((frame) => emit(pcapRecord(now(), [frame])));
  }
  if (dlt === DLT.OPENFLOW && ifp instanceof SwitchInterface) {
    emit(pcapFileHeader(dlt));
    return ifp.addChannelTap((bytes, dir, dpid) =>
      emit(pcapRecord(now(), [openflowPseudoHeader(dir === 'to-switch', dpid), bytes])),
    );
  }
  throw new KernelError(ERRNO.EINVAL, `${ifp.name} has no data link type ${dlt}`);
}

/** EINVAL unless `ifp` can be captured as `dlt` (any interface as DLT_EN10MB, a switch's channels as DLT_OPENFLOW). */
export function checkCapture(ifp: Interface, dlt: number): void {
  if (dlt !== DLT.EN10MB && !(dlt === DLT.OPENFLOW && ifp instanceof SwitchInterface)) {
    throw new KernelError(ERRNO.EINVAL, `${ifp.name} has no data link type ${dlt}`);
  }
}

export interface BpfOptions {
  readonly lookup: (name: string) => Interface | undefined;
  readonly timers: Timers;
  /** Buffer bound per open, bytes (default 1 MiB). */
  readonly bufferSize?: number;
}

export function bpfDriver(opts: BpfOptions): Driver {
  const size = opts.bufferSize ?? 1024 * 1024;
  return {
    description: 'packet capture',
    open: (): FileObject => {
      const chan = new WaitChannel();
      let chunks: Uint8Array[] = [];
      let held = 0;
      let recv = 0;
      let drop = 0;
      let ifp: Interface | undefined;
      let dlt: number = DLT.EN10MB;
      let stop: (() => void) | undefined;
      let headerPending = false;
      const put = (b: Uint8Array): void => {
        // The file header always goes in (it is what makes the rest readable).
        if (headerPending) {
          headerPending = false;
          chunks.push(b);
          held += b.length;
          chan.wake();
          return;
        }
        recv++;
        if (held + b.length > size) {
          drop++;
          return;
        }
        chunks.push(b);
        held += b.length;
        chan.wake();
      };
      const bind = (i: Interface, d: number): void => {
        checkCapture(i, d); // before the current binding is given up
        stop?.();
        stop = undefined;
        chunks = [];
        held = 0;
        headerPending = true;
        stop = startCapture(i, d, () => opts.timers.now(), put);
        ifp = i;
        dlt = d;
      };
      const ioctl = (cmd: number, data: Uint8Array | null, _ctx: IoContext): IoctlResult => {
        const name = ifIoctlName(cmd);
        switch (name) {
          case 'BIOCSETIF': {
            const { name: ifname } = decodeIfIoctlIn('BIOCSETIF', data);
            const i = opts.lookup(ifname);
            if (!i) throw new KernelError(ERRNO.ENXIO, ifname);
            bind(i, DLT.EN10MB);
            return { ret: 0, out: null };
          }
          case 'BIOCSDLT': {
            const { dlt: d } = decodeIfIoctlIn('BIOCSDLT', data);
            if (!ifp) throw new KernelError(ERRNO.EINVAL, 'no interface (BIOCSETIF first)');
            bind(ifp, d);
            return { ret: 0, out: null };
          }
          case 'BIOCGDLT':
            if (!ifp) throw new KernelError(ERRNO.EINVAL, 'no interface');
            return { ret: 0, out: encodeIfIoctlOut('BIOCGDLT', { dlt }) };
          case 'BIOCGBLEN':
            return { ret: 0, out: encodeIfIoctlOut('BIOCGBLEN', { len: size }) };
          case 'BIOCGSTATS':
            return {
              ret: 0,
              out: encodeIfIoctlOut('BIOCGSTATS', { recv: BigInt(recv), drop: BigInt(drop) }),
            };
          case 'BIOCFLUSH':
            chunks = [];
            held = 0;
            return { ret: 0, out: null };
          default:
            throw new KernelError(ERRNO.ENOTTY, `ioctl 0x${cmd.toString(16)}`);
        }
      };
      return {
        kind: 'vnode',
        name: '/dev/bpf',
        channel: chan,
        readiness: () => ({ readable: held, writable: 0, eof: false, hangup: false }),
        read: (n: number, ctx: IoContext) => {
          if (n === 0) return new Uint8Array(0);
          return blockUntil(chan, ctx.intr, ctx.nonblocking, () => {
            if (held === 0) return undefined;
            const out = new Uint8Array(Math.min(n, held));
            let o = 0;
            let i = 0;
            while (o < out.length) {
              const c = chunks[i] as Uint8Array;
              const k = Math.min(c.length, out.length - o);
              out.set(c.subarray(0, k), o);
              o += k;
              if (k === c.length) i++;
              else chunks[i] = c.subarray(k);
            }
            chunks = chunks.slice(i);
            held -= out.length;
            return out;
          });
        },
        ioctl,
        close: () => {
          stop?.();
          stop = undefined;
          chunks = [];
          held = 0;
        },
      };
    },
  };
}
