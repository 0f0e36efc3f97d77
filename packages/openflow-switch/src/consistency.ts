// Consistency of a flow entry's actions with its match (1.3.5 section 7.2.5 and the
// BAD_ACTION/MATCH_INCONSISTENT error): an action that needs a header the matched packets
// cannot be known to have is refused at installation, as Open vSwitch refuses it for
// OpenFlow 1.1 and later:
//   POP_VLAN, SET_FIELD VLAN_VID / VLAN_PCP      need a VLAN tag
//   POP_MPLS, SET/DEC_MPLS_TTL, COPY_TTL_IN/OUT  need ETH_TYPE 0x8847 or 0x8848
//   SET_NW_TTL, DEC_NW_TTL                       need ETH_TYPE IPv4 or IPv6
//   POP_PBB                                      needs ETH_TYPE 0x88e7
// What is known starts with the match and follows the actions as the packet would meet them:
// apply-actions in list order, then the write-actions in action-set order (section 5.10).
// PUSH_VLAN establishes a tag; PUSH_MPLS / POP_MPLS / PUSH_PBB and SET_FIELD ETH_TYPE the
// ethertype (a pushed MPLS entry goes after any VLAN tags, which stay; a pushed PBB header
// hides them); POP_VLAN and POP_PBB make the tag unknown (an inner tag may follow).
// The codec's validate() checks the set-field prerequisites of the other fields the same way.

import {
  type Action,
  ETH_TYPE,
  type Instruction,
  type Match,
  OFPVID,
  ofpError,
  type OfpError,
} from '@rumpflow/openflow';
import { inSetOrder } from './actions.js';

type Tag = 'present' | 'absent' | 'unknown';

interface Known {
  /** The ETH_TYPE value, or undefined when not known. */
  ethType: number | undefined;
  vlan: Tag;
}

const isMpls = (t: number | undefined): boolean => t === ETH_TYPE.MPLS || t === ETH_TYPE.MPLS_MCAST;
const isIp = (t: number | undefined): boolean => t === ETH_TYPE.IPV4 || t === ETH_TYPE.IPV6;

function fromMatch(match: Match): Known {
  const k: Known = { ethType: undefined, vlan: 'unknown' };
  for (const o of match) {
    if (o.field === 'ETH_TYPE') k.ethType = Number(o.value);
    else if (o.field === 'VLAN_VID') {
      const mask = o.mask === undefined ? 0x1fff : Number(o.mask);
      if ((mask & OFPVID.PRESENT) !== 0)
        k.vlan = (Number(o.value) & OFPVID.PRESENT) !== 0 ? 'present' : 'absent';
    }
  }
  return k;
}

/** Check one action against what is known, then apply its effect. */
function step(k: Known, a: Action, where: string): OfpError | undefined {
  const refuse = (need: string): OfpError =>
    ofpError('BAD_ACTION', 'MATCH_INCONSISTENT', `${where}-actions ${a.type.toLowerCase()} needs ${need}`);
  switch (a.type) {
    case 'POP_VLAN':
      if (k.vlan !== 'present') return refuse('a VLAN tag (match vlan_vid with OFPVID_PRESENT)');
      k.vlan = 'unknown';
      return undefined;
    case 'PUSH_VLAN':
      k.vlan = 'present';
      return undefined;
    case 'POP_MPLS':
      if (!isMpls(k.ethType)) return refuse('an MPLS packet (eth_type 0x8847 or 0x8848)');
      k.ethType = a.ethertype;
      return undefined;
    case 'SET_MPLS_TTL':
    case 'DEC_MPLS_TTL':
    case 'COPY_TTL_IN':
    case 'COPY_TTL_OUT':
      return isMpls(k.ethType) ? undefined : refuse('an MPLS packet (eth_type 0x8847 or 0x8848)');
    case 'PUSH_MPLS':
      k.ethType = a.ethertype;
      return undefined;
    case 'SET_NW_TTL':
    case 'DEC_NW_TTL':
      return isIp(k.ethType) ? undefined : refuse('an IP packet (eth_type 0x0800 or 0x86dd)');
    case 'PUSH_PBB':
      k.ethType = ETH_TYPE.PBB;
      k.vlan = 'absent';
      return undefined;
    case 'POP_PBB':
      if (k.ethType !== ETH_TYPE.PBB) return refuse('a PBB packet (eth_type 0x88e7)');
      k.ethType = undefined;
      k.vlan = 'unknown';
      return undefined;
    case 'SET_FIELD': {
      const f = a.field;
      if (f.field === 'ETH_TYPE') k.ethType = Number(f.value);
      else if ((f.field === 'VLAN_VID' || f.field === 'VLAN_PCP') && k.vlan !== 'present')
        return refuse('a VLAN tag (match vlan_vid with OFPVID_PRESENT, or push_vlan first)');
      return undefined;
    }
    default:
      return undefined;
  }
}

/** MATCH_INCONSISTENT for the first action of a FLOW_MOD that cannot apply to its packets. */
export function checkConsistency(match: Match, instructions: readonly Instruction[]): OfpError | undefined {
  const k = fromMatch(match);
  let write: readonly Action[] = [];
  for (const i of instructions) {
    if (i.type === 'WRITE_ACTIONS') write = i.actions;
    if (i.type !== 'APPLY_ACTIONS') continue;
    for (const a of i.actions) {
      const e = step(k, a, 'apply');
      if (e) return e;
    }
  }
  for (const a of inSetOrder(write)) {
    const e = step(k, a, 'write');
    if (e) return e;
  }
  return undefined;
}
