// rumpctl tcpdump -i IF -w FILE [-c N] [-y EN10MB|OPENFLOW]: a capture of one interface of the
// kernel as a pcap file, through its capture device (/dev/bpf: BIOCSETIF, BIOCSDLT, reads that
// return the pcap stream in whole records). Syscalls only, through rumpclient.

import { type FileHandle, open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { RumpClient } from '@rumpflow/rumpclient';
import { BPF_PATH, DLT, IFIOCTL, O, decodeIfIoctlOut, encodeIfIoctlIn } from '@rumpflow/sysproxy';
import { UsageError } from '@rumpflow/service';

export interface TcpdumpArgs {
  readonly ifname: string;
  /** A file name, or '-' for standard output. */
  readonly file: string;
  /** Stop after this many packets (undefined: until interrupted). */
  readonly count: number | undefined;
  readonly dlt: number | undefined;
}

const DLTS: Readonly<Record<string, number>> = { EN10MB: DLT.EN10MB, OPENFLOW: DLT.OPENFLOW };

export const TCPDUMP_USAGE = 'rumpctl tcpdump -i IF -w FILE|- [-c COUNT] [-y EN10MB|OPENFLOW]';

/** tcpdump's own arguments (after the word `tcpdump`). */
export function parseTcpdump(argv: readonly string[]): TcpdumpArgs {
  let v;
  try {
    v = parseArgs({
      args: [...argv],
      options: {
        interface: { type: 'string', short: 'i' },
        write: { type: 'string', short: 'w' },
        count: { type: 'string', short: 'c' },
        linktype: { type: 'string', short: 'y' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new UsageError(`tcpdump: ${(e as Error).message} (${TCPDUMP_USAGE})`);
  }
  if (v.interface === undefined) throw new UsageError(`tcpdump: -i IF is required (${TCPDUMP_USAGE})`);
  if (v.write === undefined) throw new UsageError(`tcpdump: -w FILE is required (${TCPDUMP_USAGE})`);
  let count: number | undefined;
  if (v.count !== undefined) {
    if (!/^\d+$/.test(v.count) || Number(v.count) < 1 || Number(v.count) > 2 ** 32) {
      throw new UsageError(`tcpdump: -c: "${v.count}" is not a packet count`);
    }
    count = Number(v.count);
  }
  let dlt: number | undefined;
  if (v.linktype !== undefined) {
    dlt = DLTS[v.linktype.toUpperCase()];
    if (dlt === undefined)
      throw new UsageError(`tcpdump: -y: unknown link type "${v.linktype}" (EN10MB, OPENFLOW)`);
  }
  return { ifname: v.interface, file: v.write, count, dlt };
}

/**
 * Counts whole pcap records in a byte stream (the 24-byte file header, then 16-byte record
 * headers each followed by incl_len bytes) and says where the Nth record ends.
 */
export class PcapRecordCounter {
  /** Whole records seen (header and data). */
  records = 0;
  private offset = 0; // bytes of the stream consumed so far
  private nextBoundary = 24; // where the file header, or the current record's data, ends
  private inData = false; // inside a record's data (else: the file header, or gathering a record header)
  private littleEndian = true;
  private readonly header = new Uint8Array(16);
  private headerFill = 0;

  /**
   * Feed one chunk; returns the length of its prefix that completes `limit` records (the
   * whole chunk when the limit is not reached within it).
   */
  feed(chunk: Uint8Array, limit = Infinity): number {
    const start = this.offset;
    // the magic's first byte tells the byte order: d4 or 4d little-endian, a1 big-endian
    if (start === 0 && chunk.length > 0) this.littleEndian = chunk[0] !== 0xa1;
    let i = 0;
    const done = (): boolean => {
      this.records++;
      return this.records >= limit;
    };
    while (i < chunk.length) {
      const pos = start + i;
      if (pos < this.nextBoundary) {
        // the file header, or a record's data: skip to its end
        i += Math.min(chunk.length - i, this.nextBoundary - pos);
        if (this.inData && start + i === this.nextBoundary) {
          this.inData = false;
          if (done()) break;
        }
        continue;
      }
      const take = Math.min(16 - this.headerFill, chunk.length - i);
      this.header.set(chunk.subarray(i, i + take), this.headerFill);
      this.headerFill += take;
      i += take;
      if (this.headerFill < 16) continue;
      this.headerFill = 0;
      const incl = new DataView(this.header.buffer).getUint32(8, this.littleEndian);
      this.nextBoundary = start + i + incl;
      if (incl > 0) this.inData = true;
      else if (done()) break;
    }
    this.offset = start + i;
    return i;
  }
}

export interface TcpdumpIo {
  /** Binary output for `-w -`. */
  bytes(b: Uint8Array): void;
  err(text: string): void;
}

/** Capture until `count` packets or `signal`; returns the packets written. */
export async function tcpdump(
  c: RumpClient,
  a: TcpdumpArgs,
  io: TcpdumpIo,
  signal: AbortSignal,
): Promise<number> {
  const fd = await c.open(BPF_PATH, O.RDONLY);
  let out: FileHandle | undefined;
  const counter = new PcapRecordCounter();
  try {
    await c.ioctl(fd, IFIOCTL.BIOCSETIF, encodeIfIoctlIn('BIOCSETIF', { name: a.ifname }));
    if (a.dlt !== undefined) await c.ioctl(fd, IFIOCTL.BIOCSDLT, encodeIfIoctlIn('BIOCSDLT', { dlt: a.dlt }));
    const { len } = decodeIfIoctlOut('BIOCGBLEN', (await c.ioctl(fd, IFIOCTL.BIOCGBLEN)).out);
    if (a.file !== '-') out = await open(a.file, 'w', 0o644);
    io.err(
      `rumpctl tcpdump: listening on ${a.ifname}, writing ${a.file === '-' ? 'standard output' : a.file}\n`,
    );
    while (!signal.aborted && (a.count === undefined || counter.records < a.count)) {
      let b: Uint8Array;
      try {
        b = await c.read(fd, len, { signal });
      } catch (e) {
        if (signal.aborted) break;
        throw e;
      }
      if (b.length === 0) break; // the interface went away
      const keep = counter.feed(b, a.count);
      const part = keep === b.length ? b : b.subarray(0, keep);
      if (out) await out.write(part);
      else io.bytes(part);
    }
    const stats = decodeIfIoctlOut('BIOCGSTATS', (await c.ioctl(fd, IFIOCTL.BIOCGSTATS)).out);
    io.err(
      `${counter.records} packets captured\n${stats.recv} packets received by filter\n${stats.drop} packets dropped by kernel\n`,
    );
    return counter.records;
  } finally {
    await out?.close();
    await c.close(fd).catch(() => undefined);
  }
}
