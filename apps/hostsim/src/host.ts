// The simulated host: one MAC and IPv4 address on an Ethernet wire (the VXLAN port gives it
// one). It answers ARP and ICMP echo like any host (packages/packet's host stack), resolves
// its peers with ARP, sends them ICMP echo requests and UDP datagrams when told to, and
// keeps per-peer counts: pings sent, answered, lost (no reply within the timeout), round-trip
// times, UDP datagrams sent and received, and UDP loss seen from sequence numbers.
//
// No sockets or timers here: the caller feeds frames to input(), sends what `send` gets,
// and calls tick() now and then to expire pings. Every table is bounded: the ARP cache,
// the peer table, frames waiting for an ARP answer, and the pings in flight.
//
// All peers are on-link (hostsim has no router): a peer's MAC comes from ARP.

import { ETH_TYPE } from '@rumpflow/openflow';
import {
  ARP_REPLY,
  FlowKey,
  ICMP_ECHO_REPLY,
  IPPROTO,
  answerFrame,
  buildArp,
  buildIcmpEcho,
  buildUdp,
  getU16,
  getU32,
  hostAddress,
  ipv4FromString,
  ipv4ToString,
  macToString,
  parseFrame,
  type HostAddress,
} from '@rumpflow/packet';
import { RttWindow } from './rtt-window.js';

const BROADCAST = 0xffffffffffff;
/** First bytes of hostsim's UDP payloads ("HSIM"), then a 32-bit sequence number. */
const UDP_MAGIC = 0x4853494d;
const UDP_HEADER = 8;

export interface HostOptions {
  readonly mac: string;
  readonly ip: string;
  /** Puts a frame on the wire. */
  readonly send: (frame: Uint8Array) => void;
  /** Milliseconds, monotonic (default performance.now). */
  readonly now?: () => number;
  /** A ping without a reply this long is lost (default 1000 ms). */
  readonly pingTimeoutMs?: number;
  /** Repeat an unanswered ARP request after this long (default 1000 ms). */
  readonly arpRetryMs?: number;
  /** Frames held per peer while its MAC is unknown (default 64); more are dropped. */
  readonly maxArpQueue?: number;
  /** Peers tracked (default 1024); UDP from further sources is counted but not per peer. */
  readonly maxPeers?: number;
  /** Pings in flight per peer (default 4096); beyond that the oldest counts as lost. */
  readonly maxInFlight?: number;
  /** Round-trip times kept per peer for percentiles (default 4096). */
  readonly rttWindow?: number;
  /** ICMP echo identifier of this host's pings (default from the address). */
  readonly pingId?: number;
}

export interface RttSummary {
  readonly p50: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  readonly samples: number;
}

export interface PeerStats {
  readonly ip: string;
  readonly mac: string | undefined;
  readonly pingsSent: number;
  readonly pingReplies: number;
  readonly pingsLost: number;
  readonly pingsInFlight: number;
  readonly lateReplies: number;
  /** pingsLost / (pingReplies + pingsLost), 0 before any outcome. */
  readonly pingLoss: number;
  readonly rttMs: RttSummary | undefined;
  readonly udpSent: number;
  readonly udpReceived: number;
  /** Datagrams from this peer missing from its sequence (sent before the highest one seen). */
  readonly udpLost: number;
}

export interface HostCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Frames for another MAC, truncated frames and protocols the host does not speak. */
  ignored: number;
  arpRequestsAnswered: number;
  arpRequestsSent: number;
  echoRequestsAnswered: number;
  /** Frames dropped because the peer's ARP queue was full. */
  arpQueueDrops: number;
  /** UDP datagrams to this host that are not hostsim flows, or from untracked sources. */
  udpOther: number;
}

class Peer {
  mac: number | undefined;
  seq = 0;
  readonly inFlight = new Map<number, number>();
  readonly queue: ((dstMac: string) => Uint8Array)[] = [];
  arpSentAt = -Infinity;
  pingsSent = 0;
  pingReplies = 0;
  pingsLost = 0;
  lateReplies = 0;
  udpSent = 0;
  udpSeq = 0;
  udpReceived = 0;
  udpHighest = -1;
  readonly rtt: RttWindow;
  constructor(
    readonly ip: number,
    rttWindow: number,
  ) {
    this.rtt = new RttWindow(rttWindow);
  }
}

export class Host {
  readonly self: HostAddress;
  readonly counters: HostCounters = {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    ignored: 0,
    arpRequestsAnswered: 0,
    arpRequestsSent: 0,
    echoRequestsAnswered: 0,
    arpQueueDrops: 0,
    udpOther: 0,
  };
  private readonly peers = new Map<number, Peer>();
  private readonly key = new FlowKey();
  private readonly send: (frame: Uint8Array) => void;
  private readonly now: () => number;
  private readonly pingTimeoutMs: number;
  private readonly arpRetryMs: number;
  private readonly maxArpQueue: number;
  private readonly maxPeers: number;
  private readonly maxInFlight: number;
  private readonly rttWindow: number;
  readonly pingId: number;

  constructor(o: HostOptions) {
    this.self = hostAddress(o.mac, o.ip);
    this.send = o.send;
    this.now = o.now ?? (() => performance.now());
    this.pingTimeoutMs = o.pingTimeoutMs ?? 1000;
    this.arpRetryMs = o.arpRetryMs ?? 1000;
    this.maxArpQueue = o.maxArpQueue ?? 64;
    this.maxPeers = o.maxPeers ?? 1024;
    this.maxInFlight = o.maxInFlight ?? 4096;
    this.rttWindow = o.rttWindow ?? 4096;
    this.pingId = o.pingId ?? this.self.ipNum & 0xffff;
  }

  /** Send one ICMP echo request with `size` data bytes to `ip`. */
  ping(ip: string, size = 56): void {
    const peer = this.peer(ipv4FromString(ip));
    if (!peer) return;
    const seq = peer.seq;
    peer.seq = (peer.seq + 1) & 0xffff;
    if (peer.inFlight.size >= this.maxInFlight) this.expireOldest(peer);
    // a wrapped sequence number still in flight is long lost
    if (peer.inFlight.delete(seq)) peer.pingsLost++;
    peer.inFlight.set(seq, this.now());
    peer.pingsSent++;
    const payload = new Uint8Array(size);
    for (let i = 0; i < size; i++) payload[i] = i & 0xff;
    this.toPeer(peer, (dstMac) =>
      buildIcmpEcho({
        type: 'request',
        srcMac: this.self.mac,
        dstMac,
        src: this.self.ip,
        dst: ip,
        id: this.pingId,
        seq,
        payload,
      }),
    );
  }

  /** Send one UDP datagram of `size` payload bytes (at least 8) of a numbered flow to ip:port. */
  udp(ip: string, port: number, size = 64, srcPort = 40000): void {
    const peer = this.peer(ipv4FromString(ip));
    if (!peer) return;
    // numbered when it goes on the wire: a datagram dropped while ARP is pending is no gap
    this.toPeer(peer, (dstMac) => {
      const payload = new Uint8Array(Math.max(8, size));
      const v = new DataView(payload.buffer);
      v.setUint32(0, UDP_MAGIC);
      v.setUint32(4, peer.udpSeq);
      peer.udpSeq = (peer.udpSeq + 1) >>> 0;
      peer.udpSent++;
      return buildUdp({
        srcMac: this.self.mac,
        dstMac,
        src: this.self.ip,
        dst: ip,
        srcPort,
        dstPort: port,
        payload,
      });
    });
  }

  /** Expire pings in flight longer than the timeout (counted lost). */
  tick(): void {
    const limit = this.now() - this.pingTimeoutMs;
    for (const peer of this.peers.values()) {
      // a Map iterates in insertion order: the oldest ping first
      for (const [seq, sentAt] of peer.inFlight) {
        if (sentAt > limit) break;
        peer.inFlight.delete(seq);
        peer.pingsLost++;
      }
    }
  }

  /** A frame from the wire. */
  input(frame: Uint8Array): void {
    const c = this.counters;
    c.framesIn++;
    c.bytesIn += frame.length;
    const k = parseFrame(frame, this.key);
    if (k.truncated || (k.ethDst !== this.self.macNum && k.ethDst !== BROADCAST)) {
      c.ignored++;
      return;
    }
    if (k.ethType === ETH_TYPE.ARP) {
      // learn the sender of any ARP about this host (request to it or reply to it)
      if (k.arpTpa === this.self.ipNum && k.arpSha !== 0) this.learn(k.arpSpa, k.arpSha);
      const reply = answerFrame(frame, k, this.self);
      if (reply) {
        c.arpRequestsAnswered++;
        this.output(reply);
      } else if (k.arpOp !== ARP_REPLY) c.ignored++;
      return;
    }
    if (k.ethType !== ETH_TYPE.IPV4 || k.ipv4Dst !== this.self.ipNum || k.l4Off < 0) {
      c.ignored++;
      return;
    }
    if (k.ipProto === IPPROTO.ICMP) {
      const reply = answerFrame(frame, k, this.self);
      if (reply) {
        c.echoRequestsAnswered++;
        this.output(reply);
      } else if (k.icmpType === ICMP_ECHO_REPLY && frame.length >= k.l4Off + 8) {
        this.echoReply(k.ipv4Src, getU16(frame, k.l4Off + 4), getU16(frame, k.l4Off + 6));
      } else c.ignored++;
      return;
    }
    if (k.ipProto === IPPROTO.UDP) {
      this.udpIn(frame, k);
      return;
    }
    c.ignored++;
  }

  /** Per-peer statistics, in the order peers were first seen. */
  stats(): PeerStats[] {
    return [...this.peers.values()].map((p) => {
      const rtt = p.rtt.summary();
      const outcomes = p.pingReplies + p.pingsLost;
      return {
        ip: ipv4ToString(p.ip),
        mac: p.mac !== undefined ? macToString(p.mac) : undefined,
        pingsSent: p.pingsSent,
        pingReplies: p.pingReplies,
        pingsLost: p.pingsLost,
        pingsInFlight: p.inFlight.size,
        lateReplies: p.lateReplies,
        pingLoss: outcomes === 0 ? 0 : p.pingsLost / outcomes,
        rttMs: rtt !== undefined ? { ...rtt, samples: p.rtt.count } : undefined,
        udpSent: p.udpSent,
        udpReceived: p.udpReceived,
        udpLost: p.udpHighest + 1 - p.udpReceived > 0 ? p.udpHighest + 1 - p.udpReceived : 0,
      };
    });
  }

  private echoReply(src: number, id: number, seq: number): void {
    const peer = this.peers.get(src);
    if (!peer || id !== this.pingId) {
      this.counters.ignored++;
      return;
    }
    const sentAt = peer.inFlight.get(seq);
    if (sentAt === undefined) {
      peer.lateReplies++;
      return;
    }
    peer.inFlight.delete(seq);
    peer.pingReplies++;
    peer.rtt.add(this.now() - sentAt);
  }

  private udpIn(frame: Uint8Array, k: FlowKey): void {
    const data = k.l4Off + UDP_HEADER;
    const peer =
      frame.length >= data + 8 && getU32(frame, data) === UDP_MAGIC ? this.peer(k.ipv4Src) : undefined;
    if (!peer) {
      this.counters.udpOther++;
      return;
    }
    const seq = getU32(frame, data + 4);
    peer.udpReceived++;
    if (seq > peer.udpHighest) peer.udpHighest = seq;
  }

  private peer(ip: number): Peer | undefined {
    let p = this.peers.get(ip);
    if (!p) {
      if (this.peers.size >= this.maxPeers) return undefined;
      p = new Peer(ip, this.rttWindow);
      this.peers.set(ip, p);
    }
    return p;
  }

  private learn(ip: number, mac: number): void {
    const peer = this.peer(ip);
    if (!peer) return;
    peer.mac = mac;
    if (peer.queue.length === 0) return;
    const dstMac = macToString(mac);
    const waiting = peer.queue.splice(0);
    for (const build of waiting) this.output(build(dstMac));
  }

  private toPeer(peer: Peer, build: (dstMac: string) => Uint8Array): void {
    if (peer.mac !== undefined) {
      this.output(build(macToString(peer.mac)));
      return;
    }
    if (peer.queue.length >= this.maxArpQueue) this.counters.arpQueueDrops++;
    else peer.queue.push(build);
    const now = this.now();
    if (now - peer.arpSentAt >= this.arpRetryMs) {
      peer.arpSentAt = now;
      this.counters.arpRequestsSent++;
      this.output(
        buildArp({
          op: 'request',
          srcMac: this.self.mac,
          sha: this.self.mac,
          spa: this.self.ip,
          tpa: ipv4ToString(peer.ip),
        }),
      );
    }
  }

  private expireOldest(peer: Peer): void {
    const first = peer.inFlight.keys().next();
    if (!first.done) {
      peer.inFlight.delete(first.value);
      peer.pingsLost++;
    }
  }

  private output(frame: Uint8Array): void {
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
    this.send(frame);
  }
}
