// GET /v1/events (websocket): what happens on the switches, one JSON object per message,
// for tests and for people watching. 64-bit values are exact (stringifyJson); frames are hex.
//
//   { "event": "hello", "switches": [1, 2] }                     first, once the stream is live
//   { "event": "switch_enter", "dpid", "address", "n_tables", "n_buffers", "capabilities",
//     "desc": {...}, "ports": [...] }
//   { "event": "switch_leave", "dpid", "address", "reason" }
//   { "event": "packet_in", "dpid", "in_port", "reason", "table_id", "cookie", "buffer_id",
//     "total_len", "match": {...}, "packet": { eth_src, eth_dst, eth_type, ipv4_src, tcp_dst, ... },
//     "data": "hex" }
//   { "event": "flow_removed", "dpid", "reason", "cookie", "priority", "table_id", "match",
//     "duration_sec", "duration_nsec", "idle_timeout", "hard_timeout", "packet_count", "byte_count" }
//   { "event": "port_status", "dpid", "reason": "ADD"|"DELETE"|"MODIFY", "port": {...} }
//   { "event": "error", "dpid", "xid", "error": "OFPET_...", "code": "OFP..._...",
//     "error_type", "error_code", "data": "hex" }                an ERROR no request waited for
// Every event also has "time" (ISO 8601). Query: ?event=packet_in,error&dpid=1,0x2 filter.

import { FlowKey, ipv4ToString, ipv6FromWords, macToString, parseFrame } from '@rumpflow/packet';
import { type ErrorMessage, type Message, type MessageOf, stringifyJson } from '@rumpflow/openflow';
import { Type } from '@sinclair/typebox';
import { ofpErrorNames } from '@rumpflow/openflow';
import type { Fastify } from './api/json.js';
import type { Controller } from './controller.js';
import type { Datapath } from './datapath.js';
import { dpidFromUser, portToUser, tableToUser } from './ryu/ints.js';
import { matchToRyu } from './ryu/match.js';
import { descToRyu, portDescToRyu } from './ryu/stats.js';

export const EVENT_NAMES = [
  'switch_enter',
  'switch_leave',
  'packet_in',
  'flow_removed',
  'port_status',
  'error',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export interface OfcEvent {
  readonly event: EventName;
  readonly time: string;
  readonly dpid: bigint;
  readonly [key: string]: unknown;
}

const PACKET_IN_REASONS = ['NO_MATCH', 'ACTION', 'INVALID_TTL'];
const FLOW_REMOVED_REASONS = ['IDLE_TIMEOUT', 'HARD_TIMEOUT', 'DELETE', 'GROUP_DELETE'];
const PORT_REASONS = ['ADD', 'DELETE', 'MODIFY'];
const nameOf = (names: readonly string[], n: number): string | number => names[n] ?? n;

/** The headers of a frame, in Ryu's field names; only the headers present. */
export function packetHeaders(frame: Uint8Array): Record<string, unknown> {
  const k = new FlowKey();
  parseFrame(frame, k);
  const h: Record<string, unknown> = {
    eth_dst: macToString(k.ethDst),
    eth_src: macToString(k.ethSrc),
    eth_type: k.ethType,
  };
  if (k.vlanDepth > 0) Object.assign(h, { vlan_vid: k.vlanVid & 0xfff, vlan_pcp: k.vlanPcp });
  if (k.mplsDepth > 0)
    Object.assign(h, {
      mpls_label: k.mplsLabel,
      mpls_tc: k.mplsTc,
      mpls_bos: k.mplsBos,
      mpls_ttl: k.mplsTtl,
    });
  if (k.ethType === 0x0806 && k.l3Off >= 0) {
    Object.assign(h, {
      arp_op: k.arpOp,
      arp_spa: ipv4ToString(k.arpSpa),
      arp_tpa: ipv4ToString(k.arpTpa),
      arp_sha: macToString(k.arpSha),
      arp_tha: macToString(k.arpTha),
    });
  }
  if (k.ethType === 0x0800 && k.l3Off >= 0) {
    Object.assign(h, {
      ipv4_src: ipv4ToString(k.ipv4Src),
      ipv4_dst: ipv4ToString(k.ipv4Dst),
      ip_proto: k.ipProto,
      ip_dscp: k.ipDscp,
      ip_ecn: k.ipEcn,
      ip_ttl: k.ipTtl,
    });
  }
  if (k.ethType === 0x86dd && k.l3Off >= 0) {
    Object.assign(h, {
      ipv6_src: ipv6FromWords(k.ipv6Src0, k.ipv6Src1, k.ipv6Src2, k.ipv6Src3),
      ipv6_dst: ipv6FromWords(k.ipv6Dst0, k.ipv6Dst1, k.ipv6Dst2, k.ipv6Dst3),
      ip_proto: k.ipProto,
      ip_dscp: k.ipDscp,
      ip_ecn: k.ipEcn,
      ip_ttl: k.ipTtl,
      ipv6_flabel: k.ipv6Flabel,
    });
  }
  if (k.l4Off >= 0) {
    const l4 = { 6: 'tcp', 17: 'udp', 132: 'sctp' }[k.ipProto];
    if (l4) Object.assign(h, { [`${l4}_src`]: k.tpSrc, [`${l4}_dst`]: k.tpDst });
    if (k.ipProto === 6) h['tcp_flags'] = k.tcpFlags;
    if (k.ipProto === 1) Object.assign(h, { icmpv4_type: k.icmpType, icmpv4_code: k.icmpCode });
    if (k.ipProto === 58) {
      Object.assign(h, { icmpv6_type: k.icmpType, icmpv6_code: k.icmpCode });
      if (k.icmpType === 135 || k.icmpType === 136)
        h['ipv6_nd_target'] = ipv6FromWords(k.ndTarget0, k.ndTarget1, k.ndTarget2, k.ndTarget3);
    }
  }
  if (k.truncated) h['truncated'] = true;
  return h;
}

const now = () => new Date().toISOString();

export function switchEnterEvent(dp: Datapath): OfcEvent {
  return {
    event: 'switch_enter',
    time: now(),
    dpid: dp.dpid,
    address: dp.address,
    n_tables: dp.features.nTables,
    n_buffers: dp.features.nBuffers,
    capabilities: dp.features.capabilities,
    desc: descToRyu(dp.desc),
    ports: [...dp.ports.values()].map(portDescToRyu),
  };
}

export function switchLeaveEvent(dp: Datapath, reason: Error | undefined): OfcEvent {
  return {
    event: 'switch_leave',
    time: now(),
    dpid: dp.dpid,
    address: dp.address,
    reason: reason?.message ?? 'connection closed',
  };
}

/** The event of an asynchronous message, or undefined for messages not streamed. */
export function messageEvent(dp: Datapath, msg: Message): OfcEvent | undefined {
  const base = { time: now(), dpid: dp.dpid };
  switch (msg.type) {
    case 'PACKET_IN': {
      const pi = msg as MessageOf<'PACKET_IN'>;
      const inPort = pi.match.find((o) => o.field === 'IN_PORT')?.value as number | undefined;
      return {
        event: 'packet_in',
        ...base,
        in_port: inPort === undefined ? null : portToUser(inPort),
        reason: nameOf(PACKET_IN_REASONS, pi.reason),
        table_id: tableToUser(pi.tableId),
        cookie: pi.cookie,
        buffer_id: pi.bufferId,
        total_len: pi.totalLen,
        match: matchToRyu(pi.match),
        packet: packetHeaders(pi.data),
        data: pi.data,
      };
    }
    case 'FLOW_REMOVED': {
      const fr = msg as MessageOf<'FLOW_REMOVED'>;
      return {
        event: 'flow_removed',
        ...base,
        reason: nameOf(FLOW_REMOVED_REASONS, fr.reason),
        cookie: fr.cookie,
        priority: fr.priority,
        table_id: tableToUser(fr.tableId),
        match: matchToRyu(fr.match),
        duration_sec: fr.durationSec,
        duration_nsec: fr.durationNsec,
        idle_timeout: fr.idleTimeout,
        hard_timeout: fr.hardTimeout,
        packet_count: fr.packetCount,
        byte_count: fr.byteCount,
      };
    }
    case 'PORT_STATUS': {
      const ps = msg as MessageOf<'PORT_STATUS'>;
      return {
        event: 'port_status',
        ...base,
        reason: nameOf(PORT_REASONS, ps.reason),
        port: portDescToRyu(ps.desc),
      };
    }
    case 'ERROR': {
      const e = msg as ErrorMessage;
      const names = ofpErrorNames(e.errType, e.code);
      return {
        event: 'error',
        ...base,
        xid: e.xid,
        error: names.type,
        code: names.code,
        error_type: e.errType,
        error_code: e.code,
        data: e.data,
      };
    }
    default:
      return undefined;
  }
}

/** Subscribe to every event of the controller; returns the unsubscriber. */
export function subscribeEvents(controller: Controller, listener: (e: OfcEvent) => void): () => void {
  const enter = (dp: Datapath) => listener(switchEnterEvent(dp));
  const leave = (dp: Datapath, reason: Error | undefined) => listener(switchLeaveEvent(dp, reason));
  const message = (dp: Datapath, msg: Message) => {
    const e = messageEvent(dp, msg);
    if (e) listener(e);
  };
  controller.on('enter', enter);
  controller.on('leave', leave);
  controller.on('message', message);
  return () => {
    controller.off('enter', enter);
    controller.off('leave', leave);
    controller.off('message', message);
  };
}

/** A slow reader is dropped rather than let its queue grow without bound. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export function eventRoutes(app: Fastify, controller: Controller): void {
  // handler + wsHandler rather than { websocket: true }, which would hide the route from the
  // OpenAPI document; a plain GET is told to upgrade
  app.route({
    method: 'GET',
    url: '/v1/events',
    schema: {
      summary:
        'A live stream of switch events (websocket; one JSON object per message): hello, switch_enter, switch_leave, packet_in, flow_removed, port_status, error',
      tags: ['events'],
      querystring: Type.Object(
        {
          event: Type.Optional(
            Type.String({
              pattern: `^(${EVENT_NAMES.join('|')})(,(${EVENT_NAMES.join('|')}))*$`,
              description: 'Only these events, comma-separated',
            }),
          ),
          dpid: Type.Optional(
            Type.String({
              pattern: '^(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})(,(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20}))*$',
              description: 'Only these switches, comma-separated',
            }),
          ),
        },
        { additionalProperties: false },
      ),
      response: {
        101: { description: 'Switching Protocols: the event stream follows', type: 'null' },
        426: { description: 'Not a websocket request', type: 'object', additionalProperties: true },
      },
    },
    handler: async (_req, reply) =>
      reply.status(426).header('upgrade', 'websocket').send({
        error: 'Upgrade Required',
        message: 'GET /v1/events is a websocket stream: connect with a websocket client',
      }),
    wsHandler: (socket, req) => {
      const q = req.query as { event?: string; dpid?: string };
      const events = q.event ? new Set(q.event.split(',')) : undefined;
      let dpids: Set<bigint> | undefined;
      try {
        dpids = q.dpid ? new Set(q.dpid.split(',').map(dpidFromUser)) : undefined;
      } catch (e) {
        socket.close(1008, (e as Error).message.slice(0, 120));
        return;
      }
      const off = subscribeEvents(controller, (e) => {
        if (events && !events.has(e.event)) return;
        if (dpids && !dpids.has(e.dpid)) return;
        if (socket.bufferedAmount > MAX_BUFFERED) {
          socket.close(1013, 'too slow');
          return;
        }
        socket.send(stringifyJson(e));
      });
      socket.on('close', off);
      socket.send(
        stringifyJson({ event: 'hello', time: now(), switches: controller.switches.map((d) => d.dpid) }),
      );
    },
  });
}
