// Named numbers of OpenFlow 1.3.5 (openflow.h) that message fields carry.

/** Reserved port numbers (ofp_port_no). */
export const OFPP = {
  MAX: 0xffffff00,
  IN_PORT: 0xfffffff8,
  TABLE: 0xfffffff9,
  NORMAL: 0xfffffffa,
  FLOOD: 0xfffffffb,
  ALL: 0xfffffffc,
  CONTROLLER: 0xfffffffd,
  LOCAL: 0xfffffffe,
  ANY: 0xffffffff,
} as const;

/** Group ids (ofp_group). */
export const OFPG = { MAX: 0xffffff00, ALL: 0xfffffffc, ANY: 0xffffffff } as const;

/** Meter ids (ofp_meter). */
export const OFPM = { MAX: 0xffff0000, SLOWPATH: 0xfffffffd, CONTROLLER: 0xfffffffe, ALL: 0xffffffff } as const;

/** Table ids. */
export const OFPTT = { MAX: 0xfe, ALL: 0xff } as const;

/** Queue ids. */
export const OFPQ_ALL = 0xffffffff;

/** buffer_id meaning "not buffered". */
export const OFP_NO_BUFFER = 0xffffffff;

/** max_len of an OUTPUT to CONTROLLER: send the whole packet, do not buffer. */
export const OFPCML = { MAX: 0xffe5, NO_BUFFER: 0xffff } as const;

/** VLAN_VID match values. */
export const OFPVID = { PRESENT: 0x1000, NONE: 0x0000 } as const;

/** Flow-mod commands (ofp_flow_mod_command). */
export const OFPFC = { ADD: 0, MODIFY: 1, MODIFY_STRICT: 2, DELETE: 3, DELETE_STRICT: 4 } as const;

/** Flow-mod flags (ofp_flow_mod_flags). */
export const OFPFF = { SEND_FLOW_REM: 1, CHECK_OVERLAP: 2, RESET_COUNTS: 4, NO_PKT_COUNTS: 8, NO_BYT_COUNTS: 16 } as const;

/** Group-mod commands and group types. */
export const OFPGC = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;
export const OFPGT = { ALL: 0, SELECT: 1, INDIRECT: 2, FF: 3 } as const;

/** Group capabilities (GROUP_FEATURES). */
export const OFPGFC = { SELECT_WEIGHT: 1, SELECT_LIVENESS: 2, CHAINING: 4, CHAINING_CHECKS: 8 } as const;

/** Meter-mod commands, flags and band types. */
export const OFPMC = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;
export const OFPMF = { KBPS: 1, PKTPS: 2, BURST: 4, STATS: 8 } as const;
export const OFPMBT = { DROP: 1, DSCP_REMARK: 2, EXPERIMENTER: 0xffff } as const;

/** Switch configuration flags (SET_CONFIG). */
export const OFPC_FRAG = { NORMAL: 0, DROP: 1, REASM: 2, MASK: 3 } as const;

/** Switch capabilities (FEATURES_REPLY). */
export const OFPC = {
  FLOW_STATS: 1,
  TABLE_STATS: 2,
  PORT_STATS: 4,
  GROUP_STATS: 8,
  IP_REASM: 0x20,
  QUEUE_STATS: 0x40,
  PORT_BLOCKED: 0x100,
} as const;

/** Port configuration bits (ofp_port_config). */
export const OFPPC = { PORT_DOWN: 1, NO_RECV: 4, NO_FWD: 0x20, NO_PACKET_IN: 0x40 } as const;

/** Port state bits (ofp_port_state). */
export const OFPPS = { LINK_DOWN: 1, BLOCKED: 2, LIVE: 4 } as const;

/** Port features (ofp_port_features). */
export const OFPPF = {
  '10MB_HD': 1 << 0,
  '10MB_FD': 1 << 1,
  '100MB_HD': 1 << 2,
  '100MB_FD': 1 << 3,
  '1GB_HD': 1 << 4,
  '1GB_FD': 1 << 5,
  '10GB_FD': 1 << 6,
  '40GB_FD': 1 << 7,
  '100GB_FD': 1 << 8,
  '1TB_FD': 1 << 9,
  OTHER: 1 << 10,
  COPPER: 1 << 11,
  FIBER: 1 << 12,
  AUTONEG: 1 << 13,
  PAUSE: 1 << 14,
  PAUSE_ASYM: 1 << 15,
} as const;

/** Reasons carried by PACKET_IN, FLOW_REMOVED and PORT_STATUS. */
export const OFPR = { NO_MATCH: 0, ACTION: 1, INVALID_TTL: 2 } as const;
export const OFPRR = { IDLE_TIMEOUT: 0, HARD_TIMEOUT: 1, DELETE: 2, GROUP_DELETE: 3 } as const;
export const OFPPR = { ADD: 0, DELETE: 1, MODIFY: 2 } as const;

/** Controller roles (ROLE_REQUEST). */
export const OFPCR_ROLE = { NOCHANGE: 0, EQUAL: 1, MASTER: 2, SLAVE: 3 } as const;

/** HELLO element types. */
export const OFPHET = { VERSIONBITMAP: 1 } as const;

/** IPV6_EXTHDR pseudo-field bits. */
export const OFPIEH = {
  NONEXT: 1 << 0,
  ESP: 1 << 1,
  AUTH: 1 << 2,
  DEST: 1 << 3,
  FRAG: 1 << 4,
  ROUTER: 1 << 5,
  HOP: 1 << 6,
  UNREP: 1 << 7,
  UNSEQ: 1 << 8,
} as const;

/**
 * Ethernet types: the one table of them in rumpflow (OXM prerequisites, push/pop actions, the
 * formatter's and flow syntax's protocol words, and @rumpflow/packet's parser and builders).
 */
export const ETH_TYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  RARP: 0x8035,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  IPV6: 0x86dd,
  MPLS: 0x8847,
  MPLS_MCAST: 0x8848,
  PBB: 0x88e7,
} as const;
