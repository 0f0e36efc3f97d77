// The answers of a minimal IPv4 host: an ARP reply to a request for its address, an ICMP
// echo reply to an echo request sent to it. Shared by vether(4)'s host stack in the rump
// kernel and hostsim, so both answer exactly alike. No I/O: the caller parses the frame
// once (its FlowKey) and sends what comes back.

import { ETH_TYPE } from '@rumpflow/openflow';
import { getU16, ipv4FromString, macFromString, macToString, ipv4ToString } from './addr.js';
import { buildArp, buildIcmpEcho } from './build.js';
import type { FlowKey } from './key.js';
import { IPPROTO } from './parse.js';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

/** A host's own addresses, text and numeric (parse once, compare numbers per frame). */
export interface HostAddress {
  readonly mac: string;
  readonly ip: string;
  readonly macNum: number;
  readonly ipNum: number;
}

export function hostAddress(mac: string, ip: string): HostAddress {
  return { mac, ip, macNum: macFromString(mac), ipNum: ipv4FromString(ip) };
}

/**
 * The ICMP echo payload of `frame` (parsed into `k`), bounded by the IPv4 total length so
 * Ethernet padding is not echoed; undefined when the headers are cut short.
 */
export function echoPayload(frame: Uint8Array, k: FlowKey): Uint8Array | undefined {
  const l3 = k.l3Off;
  const l4 = k.l4Off;
  if (l3 < 0 || l4 < 0 || frame.length < l4 + 8) return undefined;
  const end = Math.min(frame.length, l3 + getU16(frame, l3 + 2));
  return frame.slice(l4 + 8, Math.max(l4 + 8, end));
}

/** What a host at `self` answers to `frame` (parsed into `k`), or undefined. */
export function answerFrame(frame: Uint8Array, k: FlowKey, self: HostAddress): Uint8Array | undefined {
  if (k.truncated) return undefined;
  if (k.ethType === ETH_TYPE.ARP && k.arpOp === ARP_REQUEST && k.arpTpa === self.ipNum) {
    const asker = macToString(k.arpSha);
    return buildArp({
      op: 'reply',
      srcMac: self.mac,
      dstMac: asker,
      sha: self.mac,
      spa: self.ip,
      tha: asker,
      tpa: ipv4ToString(k.arpSpa),
    });
  }
  if (
    k.ethType === ETH_TYPE.IPV4 &&
    k.ipProto === IPPROTO.ICMP &&
    k.icmpType === ICMP_ECHO_REQUEST &&
    k.icmpCode === 0 &&
    k.ethDst === self.macNum &&
    k.ipv4Dst === self.ipNum
  ) {
    const payload = echoPayload(frame, k);
    if (payload === undefined) return undefined;
    const l4 = k.l4Off;
    return buildIcmpEcho({
      type: 'reply',
      srcMac: self.mac,
      dstMac: macToString(k.ethSrc),
      src: self.ip,
      dst: ipv4ToString(k.ipv4Src),
      id: getU16(frame, l4 + 4),
      seq: getU16(frame, l4 + 6),
      payload,
    });
  }
  return undefined;
}
