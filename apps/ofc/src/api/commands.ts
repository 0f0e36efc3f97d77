// POST /stats/flowentry/..., /stats/groupentry/..., /stats/meterentry/..., /stats/portdesc/modify,
// /stats/role, /stats/sendpacket, /stats/experimenter/:dpid and DELETE /stats/flowentry/clear/:dpid:
// changes to a switch. Unlike Ryu, each message is followed by a barrier, so the answer says
// whether the switch took it: 200 with an empty body (as Ryu answers), or the switch's ERROR
// as 4xx/5xx (src/api/errors.ts).

import type { Outgoing } from '@rumpflow/openflow-connection';
import { Type } from '@sinclair/typebox';
import type { Controller } from '../controller.js';
import type { Datapath } from '../datapath.js';
import { RyuValueError, portFromUser } from '../ryu/ints.js';
import {
  FLOW_COMMANDS,
  GROUP_COMMANDS,
  METER_COMMANDS,
  clearFlows,
  experimenterFromRyu,
  flowModFromRyu,
  groupModFromRyu,
  meterModFromRyu,
  packetOutFromRyu,
  portModFromRyu,
  roleRequestFromRyu,
} from '../ryu/mods.js';
import { roleToRyu } from '../ryu/stats.js';
import { HttpError } from './errors.js';
import type { Fastify } from './json.js';
import * as S from './schemas.js';
import { switchOf } from './stats.js';

type Body = Record<string, unknown>;

const refused = {
  400: {
    description:
      'A bad body, or the switch refused it (BAD_MATCH, BAD_ACTION, ...): { error, code, message }',
    ...S.Anything,
  },
  404: { description: 'No switch with that datapath id', ...S.Anything },
  409: {
    description: 'The switch refused it: it exists already or conflicts (GROUP_EXISTS, OVERLAP, ...)',
    ...S.Anything,
  },
  501: { description: 'The switch does not support it', ...S.Anything },
  504: { description: 'The switch did not answer in time', ...S.Anything },
};

function commandOf<T extends Record<string, number>>(table: T, cmd: string): number {
  if (!Object.hasOwn(table, cmd))
    throw new RyuValueError(`unknown command "${cmd}" (${Object.keys(table).join(', ')})`);
  return table[cmd] as number;
}

export function commandRoutes(app: Fastify, controller: Controller): void {
  const tags = ['commands'];
  /** Send, wait for the barrier, answer 200 with an empty body. */
  const checked = async (dp: Datapath, msg: Outgoing, reply: { send(): unknown }) => {
    await dp.sendChecked(msg);
    return reply.send();
  };
  const body = (req: { body: unknown }) => req.body as Body;

  for (const cmd of Object.keys(FLOW_COMMANDS)) {
    app.post(
      `/stats/flowentry/${cmd}`,
      {
        schema: {
          summary: `FLOW_MOD ${cmd.toUpperCase()}`,
          tags,
          body: S.FlowEntry,
          response: { 200: S.Done, ...refused },
        },
      },
      async (req, reply) => {
        const b = body(req);
        const dp = switchOf(controller, b['dpid']);
        return checked(dp, flowModFromRyu(b, commandOf(FLOW_COMMANDS, cmd)), reply);
      },
    );
  }

  app.delete(
    '/stats/flowentry/clear/:dpid',
    {
      schema: {
        summary: 'Delete every flow entry of every table',
        tags,
        params: S.DpidParams,
        response: { 200: S.Done, ...refused },
      },
    },
    async (req, reply) =>
      checked(switchOf(controller, (req.params as S.DpidParams).dpid), clearFlows(), reply),
  );

  for (const cmd of Object.keys(GROUP_COMMANDS)) {
    app.post(
      `/stats/groupentry/${cmd}`,
      {
        schema: {
          summary: `GROUP_MOD ${cmd.toUpperCase()}`,
          tags,
          body: S.GroupEntry,
          response: { 200: S.Done, ...refused },
        },
      },
      async (req, reply) => {
        const b = body(req);
        return checked(
          switchOf(controller, b['dpid']),
          groupModFromRyu(b, commandOf(GROUP_COMMANDS, cmd)),
          reply,
        );
      },
    );
  }

  for (const cmd of Object.keys(METER_COMMANDS)) {
    app.post(
      `/stats/meterentry/${cmd}`,
      {
        schema: {
          summary: `METER_MOD ${cmd.toUpperCase()}`,
          tags,
          body: S.MeterEntry,
          response: { 200: S.Done, ...refused },
        },
      },
      async (req, reply) => {
        const b = body(req);
        return checked(
          switchOf(controller, b['dpid']),
          meterModFromRyu(b, commandOf(METER_COMMANDS, cmd)),
          reply,
        );
      },
    );
  }

  app.post(
    '/stats/portdesc/modify',
    {
      schema: {
        summary:
          "PORT_MOD: change a port's config bits (hw_addr and advertise default to the switch's description)",
        tags,
        body: S.PortMod,
        response: { 200: S.Done, ...refused },
      },
    },
    async (req, reply) => {
      const b = body(req);
      const dp = switchOf(controller, b['dpid']);
      const port = dp.ports.get(portFromUser(b['port_no'], 'port_no'));
      if (!port) throw new HttpError(404, `port_no: switch ${dp.id} has no port ${String(b['port_no'])}`);
      return checked(dp, portModFromRyu(b, port), reply);
    },
  );

  app.post(
    '/stats/role',
    {
      schema: {
        summary: "Set ofc's role at the switch (ROLE_REQUEST); answers with the switch's ROLE_REPLY",
        tags,
        body: S.RoleRequest,
        response: { 200: S.listByDpid(S.Role, 'The role the switch answered'), ...refused },
      },
    },
    async (req) => {
      const b = body(req);
      const dp = switchOf(controller, b['dpid']);
      const r = await dp.request(roleRequestFromRyu(b));
      return { [dp.dpid.toString()]: [roleToRyu(r)] };
    },
  );

  app.post(
    '/stats/sendpacket',
    {
      schema: {
        summary: 'PACKET_OUT: send a frame (or a buffered packet) through the actions',
        tags,
        body: S.SendPacket,
        response: { 200: S.Done, ...refused },
      },
    },
    async (req, reply) => {
      const b = body(req);
      return checked(switchOf(controller, b['dpid']), packetOutFromRyu(b), reply);
    },
  );

  app.post(
    '/stats/experimenter/:dpid',
    {
      schema: {
        summary: "Send an EXPERIMENTER message (the body's dpid, if any, wins over the path's)",
        tags,
        params: S.DpidParams,
        body: Type.Optional(S.Experimenter),
        response: { 200: S.Done, ...refused },
      },
    },
    async (req, reply) => {
      const b = (req.body ?? {}) as Body;
      const dp = switchOf(controller, b['dpid'] ?? (req.params as S.DpidParams).dpid);
      return checked(dp, experimenterFromRyu(b), reply);
    },
  );
}
