// GET (and POST with filters) /stats/...: what a switch says about itself, as Ryu's
// ofctl_rest answers: { "<dpid>": [...] } keyed by the decimal datapath id.

import { OFPG, OFPM, OFPP, OFPQ_ALL, OFPCR_ROLE } from '@rumpflow/openflow';
import { Type } from '@sinclair/typebox';
import type { Controller } from '../controller.js';
import type { Datapath } from '../datapath.js';
import { dpidFromUser, groupFromUser, meterFromUser, portFromUser, queueFromUser } from '../ryu/ints.js';
import { flowStatsRequestFromRyu } from '../ryu/mods.js';
import {
  aggregateToRyu,
  descToRyu,
  flowStatsToRyu,
  groupDescToRyu,
  groupFeaturesToRyu,
  groupStatsToRyu,
  meterConfigToRyu,
  meterFeaturesToRyu,
  meterStatsToRyu,
  portDescToRyu,
  portStatsToRyu,
  queueConfigToRyu,
  queueStatsToRyu,
  roleToRyu,
  tableFeaturesToRyu,
  tableStatsToRyu,
} from '../ryu/stats.js';
import { HttpError } from './errors.js';
import type { Fastify } from './json.js';
import * as S from './schemas.js';

/** The switch a request names, or 404. */
export function switchOf(controller: Controller, dpid: unknown): Datapath {
  const id = dpidFromUser(dpid);
  const dp = controller.get(id);
  if (!dp) throw new HttpError(404, `no switch with datapath id ${id} (0x${id.toString(16)}) is connected`);
  return dp;
}

const keyed = (dp: Datapath, value: unknown) => ({ [dp.dpid.toString()]: value });

/** "ALL" or absent: undefined; otherwise the converted id. */
function optionalId<T>(v: string | undefined, conv: (v: unknown) => T): T | undefined {
  return v === undefined || v === 'ALL' ? undefined : conv(v);
}

export function statsRoutes(app: Fastify, controller: Controller): void {
  const tags = ['stats'];
  const sw = (params: unknown) => switchOf(controller, (params as S.DpidParams).dpid);
  const errors = { 404: { description: 'No switch with that datapath id', ...S.Anything } };

  app.get(
    '/stats/switches',
    {
      schema: {
        summary: 'Datapath ids of the connected switches',
        tags,
        response: { 200: Type.Array(Type.Integer(), { description: 'Datapath ids (64-bit, exact)' }) },
      },
    },
    async () => controller.switches.map((d) => d.dpid),
  );

  app.get(
    '/stats/desc/:dpid',
    {
      schema: {
        summary: 'Switch description (DESC)',
        tags,
        params: S.DpidParams,
        response: { 200: S.byDpid(S.DescStats, 'Description'), ...errors },
      },
    },
    async (req) => {
      const dp = sw(req.params);
      return keyed(dp, descToRyu(await dp.multipart('DESC', {})));
    },
  );

  const flowStats = async (params: unknown, body: unknown) => {
    const dp = sw(params);
    const r = flowStatsRequestFromRyu(body as Record<string, unknown> | undefined);
    const reply = await dp.multipart('FLOW', r.body);
    const stats =
      r.priority === undefined ? reply.stats : reply.stats.filter((s) => s.priority === r.priority);
    return keyed(dp, stats.map(flowStatsToRyu));
  };
  const flowSchema = (summary: string, withBody: boolean) => ({
    schema: {
      summary,
      tags,
      params: S.DpidParams,
      ...(withBody ? { body: Type.Optional(S.FlowFilter) } : {}),
      response: { 200: S.listByDpid(S.FlowStats, 'Flow entries'), ...errors },
    },
  });
  app.get('/stats/flow/:dpid', flowSchema('Every flow entry (FLOW stats)', false), (req) =>
    flowStats(req.params, undefined),
  );
  app.post(
    '/stats/flow/:dpid',
    flowSchema('Flow entries selected by table, cookie, out port/group, match (and priority)', true),
    (req) => flowStats(req.params, req.body),
  );
  // Ryu serves /stats/flowdesc with the same handler
  app.get(
    '/stats/flowdesc/:dpid',
    flowSchema("Every flow entry (as /stats/flow, Ryu's alias)", false),
    (req) => flowStats(req.params, undefined),
  );
  app.post(
    '/stats/flowdesc/:dpid',
    flowSchema("Selected flow entries (as POST /stats/flow, Ryu's alias)", true),
    (req) => flowStats(req.params, req.body),
  );

  const aggregate = async (params: unknown, body: unknown) => {
    const dp = sw(params);
    const r = flowStatsRequestFromRyu(body as Record<string, unknown> | undefined);
    return keyed(dp, [aggregateToRyu(await dp.multipart('AGGREGATE', r.body))]);
  };
  const aggSchema = (summary: string, withBody: boolean) => ({
    schema: {
      summary,
      tags,
      params: S.DpidParams,
      ...(withBody ? { body: Type.Optional(S.FlowFilter) } : {}),
      response: { 200: S.listByDpid(S.AggregateStats, 'Aggregate counters'), ...errors },
    },
  });
  app.get(
    '/stats/aggregateflow/:dpid',
    aggSchema('Packets, bytes and flows over every flow entry (AGGREGATE)', false),
    (req) => aggregate(req.params, undefined),
  );
  app.post(
    '/stats/aggregateflow/:dpid',
    aggSchema('Packets, bytes and flows over the selected flow entries', true),
    (req) => aggregate(req.params, req.body),
  );

  app.get(
    '/stats/table/:dpid',
    {
      schema: {
        summary: 'Table stats',
        tags,
        params: S.DpidParams,
        response: { 200: S.listByDpid(S.TableStats, 'Tables'), ...errors },
      },
    },
    async (req) => {
      const dp = sw(req.params);
      return keyed(dp, (await dp.multipart('TABLE', {})).stats.map(tableStatsToRyu));
    },
  );

  app.get(
    '/stats/tablefeatures/:dpid',
    {
      schema: {
        summary: 'Table features',
        tags,
        params: S.DpidParams,
        response: { 200: S.listByDpid(S.Anything, 'Table features'), ...errors },
      },
    },
    async (req) => {
      const dp = sw(req.params);
      return keyed(dp, (await dp.multipart('TABLE_FEATURES', { tables: [] })).tables.map(tableFeaturesToRyu));
    },
  );

  const portStats = async (params: unknown, port: string | undefined) => {
    const dp = sw(params);
    const portNo = optionalId(port, (v) => portFromUser(v)) ?? OFPP.ANY;
    return keyed(dp, (await dp.multipart('PORT_STATS', { portNo })).stats.map(portStatsToRyu));
  };
  const portStatsSchema = (params: object) => ({
    schema: {
      summary: 'Port stats (of one port, or ALL)',
      tags,
      params,
      response: { 200: S.listByDpid(S.PortStats, 'Port counters'), ...errors },
    },
  });
  app.get('/stats/port/:dpid', portStatsSchema(S.DpidParams), (req) => portStats(req.params, undefined));
  app.get(
    '/stats/port/:dpid/:port',
    portStatsSchema(S.idParams('port', 'Port number, name (LOCAL) or ALL')),
    (req) => portStats(req.params, (req.params as { port: string }).port),
  );

  const queueStats = async (params: { port?: string; queue_id?: string }) => {
    const dp = sw(params);
    const portNo = optionalId(params.port, (v) => portFromUser(v)) ?? OFPP.ANY;
    const queueId = optionalId(params.queue_id, (v) => queueFromUser(v)) ?? OFPQ_ALL;
    return keyed(dp, (await dp.multipart('QUEUE', { portNo, queueId })).stats.map(queueStatsToRyu));
  };
  const queueSchema = (params: object) => ({
    schema: {
      summary: 'Queue stats (of a port or ALL, a queue or ALL)',
      tags,
      params,
      response: { 200: S.listByDpid(S.Anything, 'Queue counters'), ...errors },
    },
  });
  app.get('/stats/queue/:dpid', queueSchema(S.DpidParams), (req) => queueStats(req.params as object));
  app.get('/stats/queue/:dpid/:port', queueSchema(S.idParams('port', 'Port or ALL')), (req) =>
    queueStats(req.params as object),
  );
  app.get(
    '/stats/queue/:dpid/:port/:queue_id',
    queueSchema(
      Type.Object({ dpid: S.DpidParams.properties.dpid, port: Type.String(), queue_id: Type.String() }),
    ),
    (req) => queueStats(req.params as object),
  );

  const queueConfig = async (params: { port?: string }) => {
    const dp = sw(params);
    const port = optionalId(params.port, (v) => portFromUser(v)) ?? OFPP.ANY;
    const reply = await dp.request({ type: 'QUEUE_GET_CONFIG_REQUEST', port });
    return keyed(dp, [queueConfigToRyu(reply.port, reply.queues)]);
  };
  const queueConfigSchema = (params: object) => ({
    schema: {
      summary: 'Queue configuration of a port (or ALL)',
      tags,
      params,
      response: { 200: S.listByDpid(S.Anything, 'Queue configuration'), ...errors },
    },
  });
  app.get('/stats/queueconfig/:dpid', queueConfigSchema(S.DpidParams), (req) =>
    queueConfig(req.params as object),
  );
  app.get('/stats/queueconfig/:dpid/:port', queueConfigSchema(S.idParams('port', 'Port or ALL')), (req) =>
    queueConfig(req.params as object),
  );

  app.get(
    '/stats/portdesc/:dpid',
    {
      schema: {
        summary: 'Port descriptions (PORT_DESC)',
        tags,
        params: S.DpidParams,
        response: { 200: S.listByDpid(S.PortDesc, 'Ports'), ...errors },
      },
    },
    async (req) => {
      const dp = sw(req.params);
      return keyed(dp, (await dp.multipart('PORT_DESC', {})).ports.map(portDescToRyu));
    },
  );

  const groupStats = async (params: { group_id?: string }) => {
    const dp = sw(params);
    const groupId = optionalId(params.group_id, (v) => groupFromUser(v)) ?? OFPG.ALL;
    return keyed(dp, (await dp.multipart('GROUP', { groupId })).stats.map(groupStatsToRyu));
  };
  const groupSchema = (params: object) => ({
    schema: {
      summary: 'Group stats (of one group or ALL)',
      tags,
      params,
      response: { 200: S.listByDpid(S.GroupStats, 'Group counters'), ...errors },
    },
  });
  app.get('/stats/group/:dpid', groupSchema(S.DpidParams), (req) => groupStats(req.params as object));
  app.get('/stats/group/:dpid/:group_id', groupSchema(S.idParams('group_id', 'Group id or ALL')), (req) =>
    groupStats(req.params as object),
  );

  app.get(
    '/stats/groupdesc/:dpid',
    {
      schema: {
        summary: 'Group descriptions (buckets and actions)',
        tags,
        params: S.DpidParams,
        response: { 200: S.listByDpid(S.GroupDesc, 'Groups'), ...errors },
      },
    },
    async (req) => {
      const dp = sw(req.params);
      return keyed(dp, (await dp.multipart('GROUP_DESC', {})).groups.map(groupDescToRyu));
    },
  );

  app.get(
    '/stats/groupfeatures/:dpid',
    {
      schema: {
        summary: 'Group features',
        tags,
        params: S.DpidParams,
        response: { 200: S.listByDpid(S.Anything, 'Group features'), ...errors },
      },
    },
    async (req) => {
      const dp = sw(req.params);
      return keyed(dp, [groupFeaturesToRyu(await dp.multipart('GROUP_FEATURES', {}))]);
    },
  );

  const meterStats = async (params: { meter_id?: string }) => {
    const dp = sw(params);
    const meterId = optionalId(params.meter_id, (v) => meterFromUser(v)) ?? OFPM.ALL;
    return keyed(dp, (await dp.multipart('METER', { meterId })).stats.map(meterStatsToRyu));
  };
  const meterSchema = (params: object) => ({
    schema: {
      summary: 'Meter stats (of one meter or ALL)',
      tags,
      params,
      response: { 200: S.listByDpid(S.MeterStats, 'Meter counters'), ...errors },
    },
  });
  app.get('/stats/meter/:dpid', meterSchema(S.DpidParams), (req) => meterStats(req.params as object));
  app.get('/stats/meter/:dpid/:meter_id', meterSchema(S.idParams('meter_id', 'Meter id or ALL')), (req) =>
    meterStats(req.params as object),
  );

  const meterConfig = async (params: { meter_id?: string }) => {
    const dp = sw(params);
    const meterId = optionalId(params.meter_id, (v) => meterFromUser(v)) ?? OFPM.ALL;
    return keyed(dp, (await dp.multipart('METER_CONFIG', { meterId })).configs.map(meterConfigToRyu));
  };
  const meterConfigSchema = (params: object) => ({
    schema: {
      summary: 'Meter configuration (of one meter or ALL)',
      tags,
      params,
      response: { 200: S.listByDpid(S.MeterConfig, 'Meters'), ...errors },
    },
  });
  app.get('/stats/meterconfig/:dpid', meterConfigSchema(S.DpidParams), (req) =>
    meterConfig(req.params as object),
  );
  app.get(
    '/stats/meterconfig/:dpid/:meter_id',
    meterConfigSchema(S.idParams('meter_id', 'Meter id or ALL')),
    (req) => meterConfig(req.params as object),
  );

  app.get(
    '/stats/meterfeatures/:dpid',
    {
      schema: {
        summary: 'Meter features',
        tags,
        params: S.DpidParams,
        response: { 200: S.listByDpid(S.Anything, 'Meter features'), ...errors },
      },
    },
    async (req) => {
      const dp = sw(req.params);
      return keyed(dp, [meterFeaturesToRyu(await dp.multipart('METER_FEATURES', {}))]);
    },
  );

  app.get(
    '/stats/role/:dpid',
    {
      schema: {
        summary: "ofc's role at the switch (ROLE_REQUEST NOCHANGE)",
        tags,
        params: S.DpidParams,
        response: { 200: S.listByDpid(S.Role, 'Role'), ...errors },
      },
    },
    async (req) => {
      const dp = sw(req.params);
      const r = await dp.request({ type: 'ROLE_REQUEST', role: OFPCR_ROLE.NOCHANGE, generationId: 0n });
      return keyed(dp, [roleToRyu(r)]);
    },
  );
}
