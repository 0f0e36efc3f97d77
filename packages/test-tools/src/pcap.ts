// Classic libpcap files (little-endian, microsecond timestamps, linktype 1: Ethernet), for
// feeding what the codecs build to tshark: whole Ethernet frames as they are (pcapOf), or
// payloads as the segments of one TCP connection (tcpPcap).

export interface PcapOptions {
  /** Capture time of the first frame, in seconds since the epoch (default 2024-01-01). */
  readonly startTime?: number;
  /** Microseconds between frames (default 1000). */
  readonly stepUsec?: number;
}

/** A pcap of whole Ethernet frames, one record each. */
export function pcapOf(frames: readonly Uint8Array[], opts: PcapOptions = {}): Buffer {
  const out = Buffer.alloc(24 + frames.reduce((n, f) => n + 16 + f.length, 0));
  out.writeUInt32LE(0xa1b2c3d4, 0); // magic: microsecond timestamps
  out.writeUInt16LE(2, 4); // version 2.4
  out.writeUInt16LE(4, 6);
  out.writeInt32LE(0, 8); // thiszone
  out.writeUInt32LE(0, 12); // sigfigs
  out.writeUInt32LE(262144, 16); // snaplen
  out.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const start = opts.startTime ?? 1704067200;
  const step = opts.stepUsec ?? 1000;
  let p = 24;
  frames.forEach((f, i) => {
    const usec = i * step;
    out.writeUInt32LE(start + Math.floor(usec / 1e6), p);
    out.writeUInt32LE(usec % 1e6, p + 4);
    out.writeUInt32LE(f.length, p + 8);
    out.writeUInt32LE(f.length, p + 12);
    out.set(f, p + 16);
    p += 16 + f.length;
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// One TCP connection 127.0.0.1:40000 -> 127.0.0.1:PORT (default 6653, the IANA OpenFlow
// port): SYN / SYN-ACK / ACK, then each payload as one segment acknowledged by the server,
// then FIN / FIN-ACK / ACK; correct IPv4 and TCP checksums and advancing sequence numbers,
// so that tshark sees one clean stream and dissects each segment on its own.

interface Endpoint {
  readonly mac: readonly number[];
  readonly ip: readonly number[];
  readonly port: number;
}

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

/** The Internet checksum (RFC 1071) of `b`, continuing from a partial sum. */
export function inetChecksum(b: Uint8Array, initial = 0): number {
  let s = initial;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2 === 1) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

interface Segment {
  from: Endpoint;
  to: Endpoint;
  seq: number;
  ack: number;
  flags: number;
  payload: Uint8Array;
}

/** An Ethernet II frame holding IPv4 holding one TCP segment. */
function tcpFrame(s: Segment, ipId: number): Buffer {
  const tcpLen = 20 + s.payload.length;
  const ipLen = 20 + tcpLen;
  const b = Buffer.alloc(14 + ipLen);
  // Ethernet
  b.set(s.to.mac, 0);
  b.set(s.from.mac, 6);
  b.writeUInt16BE(0x0800, 12);
  // IPv4
  const ip = 14;
  b[ip] = 0x45;
  b[ip + 1] = 0;
  b.writeUInt16BE(ipLen, ip + 2);
  b.writeUInt16BE(ipId & 0xffff, ip + 4);
  b.writeUInt16BE(0x4000, ip + 6); // don't fragment
  b[ip + 8] = 64; // ttl
  b[ip + 9] = 6; // tcp
  b.set(s.from.ip, ip + 12);
  b.set(s.to.ip, ip + 16);
  b.writeUInt16BE(inetChecksum(b.subarray(ip, ip + 20)), ip + 10);
  // TCP
  const t = ip + 20;
  b.writeUInt16BE(s.from.port, t);
  b.writeUInt16BE(s.to.port, t + 2);
  b.writeUInt32BE(s.seq >>> 0, t + 4);
  b.writeUInt32BE(s.ack >>> 0, t + 8);
  b[t + 12] = 5 << 4; // data offset: 5 words, no options
  b[t + 13] = s.flags;
  b.writeUInt16BE(0xffff, t + 14); // window
  b.set(s.payload, t + 20);
  // TCP checksum over the pseudo-header (src, dst, zero, protocol, TCP length) and segment
  const pseudo = Buffer.alloc(12);
  pseudo.set(s.from.ip, 0);
  pseudo.set(s.to.ip, 4);
  pseudo[9] = 6;
  pseudo.writeUInt16BE(tcpLen, 10);
  let sum = 0;
  for (let i = 0; i < 12; i += 2) sum += pseudo.readUInt16BE(i);
  b.writeUInt16BE(inetChecksum(b.subarray(t, t + tcpLen), sum), t + 16);
  return b;
}

export interface TcpPcapOptions extends PcapOptions {
  /** The server's port (default 6653). */
  readonly port?: number;
  /** Close the connection with FIN / FIN-ACK / ACK after the last payload (default true). */
  readonly close?: boolean;
}

/** A pcap of one TCP connection carrying each payload as one client segment. */
export function tcpPcap(payloads: readonly Uint8Array[], opts: TcpPcapOptions = {}): Buffer {
  const client: Endpoint = { mac: [0x02, 0, 0, 0, 0, 0x01], ip: [127, 0, 0, 1], port: 40000 };
  const server: Endpoint = { mac: [0x02, 0, 0, 0, 0, 0x02], ip: [127, 0, 0, 1], port: opts.port ?? 6653 };
  let cseq = 0x10000000;
  let sseq = 0x20000000;
  const segments: Segment[] = [];
  const fromClient = (flags: number, payload: Uint8Array = new Uint8Array(0)) => {
    segments.push({ from: client, to: server, seq: cseq, ack: flags === TCP_SYN ? 0 : sseq, flags, payload });
    cseq = (cseq + payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
  };
  const fromServer = (flags: number) => {
    segments.push({ from: server, to: client, seq: sseq, ack: cseq, flags, payload: new Uint8Array(0) });
    sseq = (sseq + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
  };

  fromClient(TCP_SYN);
  fromServer(TCP_SYN | TCP_ACK);
  fromClient(TCP_ACK);
  for (const p of payloads) {
    fromClient(TCP_PSH | TCP_ACK, p);
    fromServer(TCP_ACK);
  }
  if (opts.close ?? true) {
    fromClient(TCP_FIN | TCP_ACK);
    fromServer(TCP_FIN | TCP_ACK);
    fromClient(TCP_ACK);
  }
  return pcapOf(
    segments.map((s, i) => tcpFrame(s, 0x1000 + i)),
    opts,
  );
}

/** Pcap frame numbers (1-based) of tcpPcap's payload segments, in payload order. */
export function payloadFrameNumbers(count: number): number[] {
  // 3 handshake frames, then for each payload: the data segment and the server's ACK
  return Array.from({ length: count }, (_, i) => 4 + 2 * i);
}
