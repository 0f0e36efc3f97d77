// JSON schemas (TypeBox) of the Ryu-style API: request bodies as Ryu's ofctl_rest takes
// them, and replies for the OpenAPI document. Numbers may be JSON integers or strings
// (decimal, 0x hex), as Ryu reads them with int(str(v), 0); reserved values (ports, tables,
// groups, meters, queues, roles) may be names. Field-level checks (ranges, names, match
// fields, action types) are the converters' (src/ryu), which say exactly what is wrong.

import { type Static, type TSchema, Type } from '@sinclair/typebox';

/** An integer: a JSON number, or text (decimal, 0x hex) — how 64-bit values stay exact. */
export const Int = (description: string) => Type.Union([Type.String(), Type.Integer()], { description });
/** A number or a reserved name (CONTROLLER, ALL, ANY, ...). */
export const IntOrName = (description: string) =>
  Type.Union([Type.String(), Type.Integer()], { description });

const DPID_TEXT = '^(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})$';
export const Dpid = Type.Union([Type.String({ pattern: DPID_TEXT }), Type.Integer({ minimum: 0 })], {
  description: 'Datapath id: a JSON integer or its decimal (or 0x hex) text; all 64 bits are kept',
});

export const DpidParams = Type.Object({
  dpid: Type.String({
    pattern: DPID_TEXT,
    description: 'Datapath id, decimal (as GET /stats/switches lists it) or 0x hex',
  }),
});
export type DpidParams = Static<typeof DpidParams>;

/** /stats/port/:dpid/:port and friends: an optional id after the dpid ("ALL" for all). */
export const idParams = (name: string, description: string) =>
  Type.Object({ dpid: DpidParams.properties.dpid, [name]: Type.String({ description }) });

export const Match = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Ryu match fields: in_port, in_phy_port, metadata, dl_src/eth_src, dl_dst/eth_dst, dl_type/eth_type, dl_vlan/vlan_vid, vlan_pcp, ip_dscp, ip_ecn, nw_proto/ip_proto, nw_src/ipv4_src, nw_dst/ipv4_dst, tp_src/tp_dst (with nw_proto 6, 17 or 132), tcp_src, tcp_dst, udp_src, udp_dst, sctp_src, sctp_dst, icmpv4_type, icmpv4_code, arp_op, arp_spa, arp_tpa, arp_sha, arp_tha, ipv6_src, ipv6_dst, ipv6_flabel, icmpv6_type, icmpv6_code, ipv6_nd_target, ipv6_nd_sll, ipv6_nd_tll, mpls_label, mpls_tc, mpls_bos, pbb_isid, tunnel_id, ipv6_exthdr. Masks as "value/mask" or "addr/len".',
  examples: [{ in_port: 1, dl_dst: '00:00:00:00:00:02' }],
});

export const Action = Type.Object(
  { type: Type.String({ description: 'Action or instruction type' }) },
  {
    additionalProperties: true,
    description:
      'OUTPUT {port, max_len}, COPY_TTL_OUT, COPY_TTL_IN, SET_MPLS_TTL {mpls_ttl}, DEC_MPLS_TTL, PUSH_VLAN {ethertype}, POP_VLAN, PUSH_MPLS {ethertype}, POP_MPLS {ethertype}, SET_QUEUE {queue_id}, GROUP {group_id}, SET_NW_TTL {nw_ttl}, DEC_NW_TTL, SET_FIELD {field, value}, PUSH_PBB {ethertype}, POP_PBB, EXPERIMENTER {experimenter, data_type: ascii|base64|hex, data}; in flows also the instructions GOTO_TABLE {table_id}, WRITE_METADATA {metadata, metadata_mask}, METER {meter_id}, WRITE_ACTIONS {actions}, CLEAR_ACTIONS',
    examples: [{ type: 'OUTPUT', port: 2 }],
  },
);

const flowSelect = {
  cookie: Type.Optional(Int('Cookie (64 bits)')),
  cookie_mask: Type.Optional(Int('Cookie mask (64 bits)')),
  table_id: Type.Optional(IntOrName('Table id, or ALL')),
  out_port: Type.Optional(IntOrName('Only flows that output to this port (default ANY)')),
  out_group: Type.Optional(IntOrName('Only flows that output to this group (default ANY)')),
  match: Type.Optional(Match),
};

export const FlowFilter = Type.Object({
  ...flowSelect,
  flags: Type.Optional(Int('Multipart request flags')),
  priority: Type.Optional(Int('Only flows of this priority (filtered by ofc, as Ryu does)')),
});
export type FlowFilter = Static<typeof FlowFilter>;

export const FlowEntry = Type.Object({
  dpid: Dpid,
  ...flowSelect,
  idle_timeout: Type.Optional(Int('Idle timeout, seconds')),
  hard_timeout: Type.Optional(Int('Hard timeout, seconds')),
  priority: Type.Optional(Int('Priority (default 0)')),
  buffer_id: Type.Optional(IntOrName('Buffer to apply the flow to (default NO_BUFFER)')),
  flags: Type.Optional(
    Int('OFPFF_* bits: 1 SEND_FLOW_REM, 2 CHECK_OVERLAP, 4 RESET_COUNTS, 8 NO_PKT_COUNTS, 16 NO_BYT_COUNTS'),
  ),
  actions: Type.Optional(Type.Array(Action)),
});
export type FlowEntry = Static<typeof FlowEntry>;

export const Bucket = Type.Object({
  weight: Type.Optional(Int('Weight (select groups)')),
  watch_port: Type.Optional(IntOrName('Watched port (fast-failover groups)')),
  watch_group: Type.Optional(IntOrName('Watched group (fast-failover groups)')),
  actions: Type.Optional(Type.Array(Action)),
});

export const GroupEntry = Type.Object({
  dpid: Dpid,
  type: Type.Optional(Type.String({ description: 'ALL (default), SELECT, INDIRECT or FF' })),
  group_id: Type.Optional(IntOrName('Group id (or ALL for delete)')),
  buckets: Type.Optional(Type.Array(Bucket)),
});
export type GroupEntry = Static<typeof GroupEntry>;

export const Band = Type.Object({
  type: Type.String({ description: 'DROP, DSCP_REMARK or EXPERIMENTER' }),
  rate: Type.Optional(Int('Rate (kb/s or packets/s)')),
  burst_size: Type.Optional(Int('Burst size')),
  prec_level: Type.Optional(Int('DSCP_REMARK: drop precedence to add')),
  experimenter: Type.Optional(Int('EXPERIMENTER: experimenter id')),
});

export const MeterEntry = Type.Object({
  dpid: Dpid,
  flags: Type.Optional(
    Type.Union([Type.String(), Type.Array(Type.String())], {
      description: 'KBPS, PKTPS, BURST, STATS: one or a list',
    }),
  ),
  meter_id: Type.Optional(IntOrName('Meter id (or ALL for delete)')),
  bands: Type.Optional(Type.Array(Band)),
});
export type MeterEntry = Static<typeof MeterEntry>;

export const PortMod = Type.Object({
  dpid: Dpid,
  port_no: IntOrName('Port'),
  config: Type.Optional(Int('OFPPC_* bits to set: 1 PORT_DOWN, 4 NO_RECV, 32 NO_FWD, 64 NO_PACKET_IN')),
  mask: Type.Optional(Int('OFPPC_* bits to change')),
  hw_addr: Type.Optional(
    Type.String({ description: "The port's MAC address (default: as the switch described it)" }),
  ),
  advertise: Type.Optional(Int('OFPPF_* features to advertise (default: as the switch described them)')),
});
export type PortMod = Static<typeof PortMod>;

export const RoleRequest = Type.Object({
  dpid: Dpid,
  role: Type.Optional(IntOrName('NOCHANGE, EQUAL (default), MASTER or SLAVE')),
  generation_id: Type.Optional(Int('Generation id (64 bits; default 0)')),
});
export type RoleRequest = Static<typeof RoleRequest>;

export const SendPacket = Type.Object({
  dpid: Dpid,
  buffer_id: Type.Optional(IntOrName('Buffer of the packet in the switch (default NO_BUFFER: data is sent)')),
  in_port: Type.Optional(IntOrName('In port of the packet (default CONTROLLER)')),
  actions: Type.Optional(Type.Array(Action)),
  data: Type.Optional(Type.String({ description: 'The frame' })),
  data_type: Type.Optional(Type.String({ description: "base64 (default, as in Ryu's JSON), hex or ascii" })),
});
export type SendPacket = Static<typeof SendPacket>;

export const Experimenter = Type.Object({
  dpid: Type.Optional(Dpid),
  experimenter: Type.Optional(Int('Experimenter id')),
  exp_type: Type.Optional(Int('Experimenter type')),
  data_type: Type.Optional(Type.String({ description: 'ascii (default), base64 or hex' })),
  data: Type.Optional(Type.String({ description: 'Body' })),
});
export type Experimenter = Static<typeof Experimenter>;

// ---------------------------------------------------------------------------------------
// Replies (for the OpenAPI document; bodies are written by stringifyJson).

const N = (description: string) => Type.Integer({ description });
const PortNo = Type.Union([Type.Integer(), Type.String()], {
  description: 'Port number, or a reserved name (LOCAL, CONTROLLER, ...)',
});

/** { "<dpid>": item } keyed by the decimal datapath id. */
export const byDpid = (item: TSchema, description: string) =>
  Type.Record(Type.String({ pattern: '^[0-9]+$' }), item, {
    description: `${description}, keyed by the decimal datapath id`,
  });
export const listByDpid = (item: TSchema, description: string) => byDpid(Type.Array(item), description);

export const DescStats = Type.Object({
  mfr_desc: Type.String(),
  hw_desc: Type.String(),
  sw_desc: Type.String(),
  serial_num: Type.String(),
  dp_desc: Type.String(),
});

export const FlowStats = Type.Object({
  priority: N('Priority'),
  cookie: N('Cookie (64 bits, exact)'),
  idle_timeout: N('Idle timeout, s'),
  hard_timeout: N('Hard timeout, s'),
  byte_count: N('Bytes matched'),
  packet_count: N('Packets matched'),
  duration_sec: N('Age, whole seconds'),
  duration_nsec: N('Age, nanoseconds beyond duration_sec'),
  length: N('Length of the flow stats entry'),
  flags: N('OFPFF_* bits'),
  table_id: Type.Union([Type.Integer(), Type.String()]),
  match: Type.Record(Type.String(), Type.Unknown(), {
    description: 'Ryu match: dl_dst, nw_src, tp_dst, ... masks as "value/mask"',
  }),
  actions: Type.Array(Type.Union([Type.String(), Type.Record(Type.String(), Type.Array(Type.String()))]), {
    description:
      'Ryu action strings: "OUTPUT:2", "SET_FIELD: {eth_dst:...}", "GOTO_TABLE:1", {"WRITE_ACTIONS": [...]}',
  }),
});

export const AggregateStats = Type.Object({
  packet_count: N('Packets'),
  byte_count: N('Bytes'),
  flow_count: N('Flows'),
});

export const PortStats = Type.Object({
  port_no: PortNo,
  rx_packets: N(''),
  tx_packets: N(''),
  rx_bytes: N(''),
  tx_bytes: N(''),
  rx_dropped: N(''),
  tx_dropped: N(''),
  rx_errors: N(''),
  tx_errors: N(''),
  rx_frame_err: N(''),
  rx_over_err: N(''),
  rx_crc_err: N(''),
  collisions: N(''),
  duration_sec: N(''),
  duration_nsec: N(''),
});

export const PortDesc = Type.Object({
  port_no: PortNo,
  hw_addr: Type.String(),
  name: Type.String(),
  config: N('OFPPC_* bits'),
  state: N('OFPPS_* bits'),
  curr: N('OFPPF_* bits'),
  advertised: N('OFPPF_* bits'),
  supported: N('OFPPF_* bits'),
  peer: N('OFPPF_* bits'),
  curr_speed: N('kb/s'),
  max_speed: N('kb/s'),
});

export const TableStats = Type.Object({
  table_id: Type.Union([Type.Integer(), Type.String()]),
  active_count: N(''),
  lookup_count: N(''),
  matched_count: N(''),
});

export const Anything = Type.Object({}, { additionalProperties: true });

export const GroupStats = Type.Object({
  group_id: Type.Union([Type.Integer(), Type.String()]),
  length: N(''),
  ref_count: N(''),
  packet_count: N(''),
  byte_count: N(''),
  duration_sec: N(''),
  duration_nsec: N(''),
  bucket_stats: Type.Array(Type.Object({ packet_count: N(''), byte_count: N('') })),
});

export const GroupDesc = Type.Object({
  group_id: Type.Union([Type.Integer(), Type.String()]),
  type: Type.String({ description: 'ALL, SELECT, INDIRECT, FF' }),
  buckets: Type.Array(
    Type.Object({ weight: N(''), watch_port: N(''), watch_group: N(''), actions: Type.Array(Type.String()) }),
  ),
});

export const MeterStats = Type.Object({
  meter_id: Type.Union([Type.Integer(), Type.String()]),
  len: N(''),
  flow_count: N(''),
  packet_in_count: N(''),
  byte_in_count: N(''),
  duration_sec: N(''),
  duration_nsec: N(''),
  band_stats: Type.Array(Type.Object({ packet_band_count: N(''), byte_band_count: N('') })),
});

export const MeterConfig = Type.Object({
  meter_id: Type.Union([Type.Integer(), Type.String()]),
  flags: Type.Array(Type.String()),
  bands: Type.Array(Anything),
});

export const Role = Type.Object({ role: Type.Union([Type.String(), Type.Integer()]), generation_id: N('') });

export const Done = Type.Null({
  description: 'Done: the switch took it (a barrier followed it); empty body, as Ryu answers',
});
