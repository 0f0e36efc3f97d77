// The flow key: every field an OpenFlow 1.3 match can test, as plain numbers, plus the
// offsets of the headers so rewrites can find them. One key object is reused for every
// frame (parse() resets and fills it), so the parse path allocates nothing.
//
// Absent fields are zero, as in Open vSwitch's flow: a match testing a field always also
// tests the field's OXM prerequisites, which establish its presence (TCP_DST needs
// IP_PROTO=6 needs ETH_TYPE=0x0800/0x86dd). VLAN_VID is the exception the specification
// makes itself: OFPVID_NONE (0) when untagged, VID | OFPVID_PRESENT (0x1000) when tagged.

/** ipFrag bits. */
export const FRAG = { ANY: 1, LATER: 2 } as const;

export class FlowKey {
  // pipeline metadata, set by the caller (the port the frame came in on, the tunnel)
  inPort = 0;
  inPhyPort = 0;
  metadata = 0n;
  tunnelId = 0n;

  // Ethernet; MAC addresses as 48-bit numbers (exact in a double)
  ethDst = 0;
  ethSrc = 0;
  /** The ethertype after any VLAN tags (the OXM ETH_TYPE). */
  ethType = 0;
  /** Outermost tag: VID | 0x1000, or 0 when untagged. */
  vlanVid = 0;
  vlanPcp = 0;
  /** TPID of the outermost tag (0x8100 or 0x88a8), 0 when untagged. */
  vlanTpid = 0;
  /** Number of VLAN tags parsed (at most 2). */
  vlanDepth = 0;

  // PBB I-TAG, MPLS top of stack
  pbbIsid = 0;
  mplsLabel = 0;
  mplsTc = 0;
  mplsBos = 0;
  mplsTtl = 0;
  mplsDepth = 0;

  // IP (v4 or v6)
  ipDscp = 0;
  ipEcn = 0;
  ipProto = 0;
  ipTtl = 0;
  ipFrag = 0;
  ipv4Src = 0;
  ipv4Dst = 0;
  ipv6Src0 = 0;
  ipv6Src1 = 0;
  ipv6Src2 = 0;
  ipv6Src3 = 0;
  ipv6Dst0 = 0;
  ipv6Dst1 = 0;
  ipv6Dst2 = 0;
  ipv6Dst3 = 0;
  ipv6Flabel = 0;
  /** OFPIEH_* bits of the IPv6 extension-header walk. */
  ipv6Exthdr = 0;

  // transport: TCP/UDP/SCTP ports share tpSrc/tpDst, ICMPv4/ICMPv6 share icmpType/Code
  tpSrc = 0;
  tpDst = 0;
  tcpFlags = 0;
  icmpType = 0;
  icmpCode = 0;

  // ARP
  arpOp = 0;
  arpSpa = 0;
  arpTpa = 0;
  arpSha = 0;
  arpTha = 0;

  // IPv6 neighbour discovery
  ndTarget0 = 0;
  ndTarget1 = 0;
  ndTarget2 = 0;
  ndTarget3 = 0;
  ndSll = 0;
  ndTll = 0;

  // header offsets in the frame, -1 when absent
  /** First VLAN tag (its TPID), or -1. */
  vlanOff = -1;
  /** Offset of the ethertype field that follows the MAC addresses and tags. */
  ethTypeOff = 12;
  mplsOff = -1;
  pbbOff = -1;
  l3Off = -1;
  l4Off = -1;
  /** Offset of the ICMPv6 ND option carrying the SLL/TLL address, or -1. */
  ndOptOff = -1;
  /** The frame ended before a header it announced. */
  truncated = false;

  /** Clear every parsed field; pipeline metadata (inPort, tunnel, metadata) is kept. */
  resetParsed(): void {
    this.ethDst = this.ethSrc = this.ethType = 0;
    this.vlanVid = this.vlanPcp = this.vlanTpid = this.vlanDepth = 0;
    this.pbbIsid = this.mplsLabel = this.mplsTc = this.mplsBos = this.mplsTtl = this.mplsDepth = 0;
    this.ipDscp = this.ipEcn = this.ipProto = this.ipTtl = this.ipFrag = 0;
    this.ipv4Src = this.ipv4Dst = 0;
    this.ipv6Src0 = this.ipv6Src1 = this.ipv6Src2 = this.ipv6Src3 = 0;
    this.ipv6Dst0 = this.ipv6Dst1 = this.ipv6Dst2 = this.ipv6Dst3 = 0;
    this.ipv6Flabel = this.ipv6Exthdr = 0;
    this.tpSrc = this.tpDst = this.tcpFlags = this.icmpType = this.icmpCode = 0;
    this.arpOp = this.arpSpa = this.arpTpa = this.arpSha = this.arpTha = 0;
    this.ndTarget0 = this.ndTarget1 = this.ndTarget2 = this.ndTarget3 = 0;
    this.ndSll = this.ndTll = 0;
    this.vlanOff = this.mplsOff = this.pbbOff = this.l3Off = this.l4Off = this.ndOptOff = -1;
    this.ethTypeOff = 12;
    this.truncated = false;
  }

  /** A copy (for keeping a key beyond the next parse). */
  clone(): FlowKey {
    return Object.assign(new FlowKey(), this);
  }
}
