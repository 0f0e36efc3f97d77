// Push and pop of VLAN tags, MPLS label stack entries and PBB service tags (OpenFlow 1.3.5
// OFPAT_PUSH_*/POP_*). The frame's length changes, so each returns a NEW Buffer and leaves
// the input alone; null means the frame lacks the header to pop. The key passed in must come
// from parsing the input frame and is NOT updated: the caller re-parses the result
// (parseFrame(out, key)) before matching or rewriting it again.
//
// What a pushed header holds follows the specification's table of fields copied on push
// (1.3.5 section 5.12.1) and its reference switch, ofsoftswitch13: fields are copied from the
// existing header of the same kind, otherwise set as below; everything else is zero.
//   push VLAN  outermost tag, right after the MAC addresses; VID and PCP copied from the
//              existing outer tag, else 0 (DEI 0).
//   push MPLS  after the Ethernet header and any VLAN tags, on top of an existing stack:
//              label, TC and TTL copied from the old top with BOS 0; on a packet without
//              MPLS label 0, TC 0, BOS 1 and TTL copied from the IP TTL (0 if not IP).
//   push PBB   B-DA and B-SA copied from the customer addresses, ethertype 0x88e7, then an
//              I-TAG (I-SID copied from an existing I-TAG, else 0; I-PCP from the customer's
//              outer VLAN PCP, else 0) in front of the whole customer frame.

import { ETH_TYPE } from '@rumpflow/openflow';
import { getU16, getU32, putU16, putU32 } from './addr.js';
import type { FlowKey } from './key.js';

/** frame[0, at) + insert + frame[at, end). */
function splice(frame: Uint8Array, at: number, insert: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(frame.length + insert.length);
  out.set(frame.subarray(0, at), 0);
  out.set(insert, at);
  out.set(frame.subarray(at), at + insert.length);
  return out;
}

/** frame without frame[at, at + n). */
function cut(frame: Uint8Array, at: number, n: number): Buffer {
  const out = Buffer.allocUnsafe(frame.length - n);
  out.set(frame.subarray(0, at), 0);
  out.set(frame.subarray(at + n), at);
  return out;
}

/** Push a new outermost VLAN tag with TPID 0x8100 (802.1Q) or 0x88a8 (802.1ad). */
export function pushVlan(frame: Uint8Array, key: FlowKey, tpid: number = ETH_TYPE.VLAN): Buffer {
  const tag = new Uint8Array(4);
  putU16(tag, 0, tpid);
  // the new tag's PCP and VID from the old outer tag (its DEI is not copied)
  putU16(tag, 2, key.vlanOff >= 0 ? getU16(frame, key.vlanOff + 2) & 0xefff : 0);
  return splice(frame, 12, tag);
}

/** Remove the outermost VLAN tag; null when untagged. */
export function popVlan(frame: Uint8Array, key: FlowKey): Buffer | null {
  return key.vlanOff < 0 ? null : cut(frame, key.vlanOff, 4);
}

/** Push an MPLS label stack entry; `ethertype` 0x8847 (unicast) or 0x8848 (multicast). */
export function pushMpls(frame: Uint8Array, key: FlowKey, ethertype: number = ETH_TYPE.MPLS): Buffer {
  const lse = new Uint8Array(4);
  let at: number;
  if (key.mplsOff >= 0) {
    at = key.mplsOff;
    putU32(lse, 0, (getU32(frame, at) & ~0x100) >>> 0);
  } else {
    at = key.ethTypeOff + 2;
    putU32(lse, 0, 0x100 | (key.ipTtl & 0xff)); // key.ipTtl is 0 when not IP
  }
  const out = splice(frame, at, lse);
  putU16(out, key.ethTypeOff, ethertype);
  return out;
}

/** Remove the top MPLS entry and set the ethertype to `ethertype` (MPLS again when entries remain); null without MPLS. */
export function popMpls(frame: Uint8Array, key: FlowKey, ethertype: number): Buffer | null {
  if (key.mplsOff < 0) return null;
  const out = cut(frame, key.mplsOff, 4);
  putU16(out, key.ethTypeOff, ethertype);
  return out;
}

/** Push a PBB (802.1ah) encapsulation: B-DA, B-SA, 0x88e7, I-TAG, then the whole frame. */
export function pushPbb(frame: Uint8Array, key: FlowKey): Buffer {
  const head = new Uint8Array(18);
  head.set(frame.subarray(0, 12), 0);
  putU16(head, 12, ETH_TYPE.PBB);
  if (key.pbbOff >= 0) head.set(frame.subarray(key.pbbOff, key.pbbOff + 4), 14);
  else if (key.vlanOff >= 0) head[14] = key.vlanPcp << 5;
  const out = Buffer.allocUnsafe(18 + frame.length);
  out.set(head, 0);
  out.set(frame, 18);
  return out;
}

/** Remove the backbone header (B-DA, B-SA, any B-TAG, ethertype and I-TAG); null without PBB. */
export function popPbb(frame: Uint8Array, key: FlowKey): Buffer | null {
  return key.pbbOff < 0 ? null : Buffer.from(frame.subarray(key.pbbOff + 4));
}
