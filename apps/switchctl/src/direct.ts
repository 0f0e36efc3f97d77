// switchctl's direct OpenFlow commands: connect to a switch or a switchd listener URI (tcp:,
// tls:, unix:) as a controller of its own, ask, print in ovs-ofctl's style, disconnect.
//   dump desc|features|flows|tables|ports|groups|meters URI
//   flow add|modify|delete URI FLOW         (Open vSwitch flow syntax)
//   packet-out URI IN_PORT ACTIONS HEXFRAME (ACTIONS as in a flow: output:2,set_field:...)

import { EndpointError, parseEndpoint, type ActiveEndpoint } from '@rumpflow/endpoint';
import {
  OFPFC,
  OFPP,
  OFP_NO_BUFFER,
  flowModFrom,
  flowStatsRequest,
  formatFlowStats,
  formatMessage,
  parseFlow,
  type Action,
} from '@rumpflow/openflow';
import { OfConnection, openStream, type TlsOptions } from '@rumpflow/openflow-connection';

export class DirectUsageError extends Error {
  override readonly name = 'DirectUsageError';
}

export const DUMP_WHAT = ['desc', 'features', 'flows', 'tables', 'ports', 'groups', 'meters'] as const;
const FLOW_COMMANDS = { add: OFPFC.ADD, modify: OFPFC.MODIFY, delete: OFPFC.DELETE } as const;

function endpointOf(uri: string | undefined): ActiveEndpoint {
  if (uri === undefined)
    throw new DirectUsageError('a switch URI is missing (tcp:HOST:PORT, tls:HOST:PORT or unix:PATH)');
  try {
    return parseEndpoint(uri, { only: 'active' }) as ActiveEndpoint;
  } catch (e) {
    if (e instanceof EndpointError) throw new DirectUsageError(e.message);
    throw e;
  }
}

async function connect(
  ep: ActiveEndpoint,
  tls: TlsOptions | undefined,
  timeoutMs: number,
): Promise<OfConnection> {
  const stream = await openStream(ep, tls, { timeoutMs });
  const conn = new OfConnection(stream, { name: 'switch', requestTimeoutMs: timeoutMs, echoIntervalMs: 0 });
  await conn.start();
  return conn;
}

/** Run one direct command; returns the text to print. */
export async function runDirect(
  args: readonly string[],
  tls: TlsOptions | undefined,
  timeoutMs: number,
): Promise<string> {
  const [command, sub, uri, ...rest] = args;
  if (command === 'packet-out') return packetOut([sub, uri, ...rest], tls, timeoutMs);
  if (command === 'dump') {
    if (!DUMP_WHAT.includes(sub as (typeof DUMP_WHAT)[number]))
      throw new DirectUsageError(`dump what? ${DUMP_WHAT.join(' | ')}`);
    const ep = endpointOf(uri);
    if (rest.length > 0) throw new DirectUsageError(`dump ${sub}: unexpected ${rest.join(' ')}`);
    const conn = await connect(ep, tls, timeoutMs);
    try {
      return await dump(conn, sub as (typeof DUMP_WHAT)[number]);
    } finally {
      conn.close();
    }
  }
  if (command === 'flow') {
    const cmd = FLOW_COMMANDS[sub as keyof typeof FLOW_COMMANDS];
    if (cmd === undefined) throw new DirectUsageError('flow add|modify|delete URI FLOW');
    const ep = endpointOf(uri);
    const text = rest.join(' ');
    if (text === '' && cmd !== OFPFC.DELETE) throw new DirectUsageError(`flow ${sub}: the flow is missing`);
    let mod;
    try {
      mod = flowModFrom(parseFlow(text, cmd), cmd);
    } catch (e) {
      throw new DirectUsageError(`flow ${sub}: ${(e as Error).message}`);
    }
    const conn = await connect(ep, tls, timeoutMs);
    try {
      await conn.sendChecked(mod);
      return '';
    } finally {
      conn.close();
    }
  }
  throw new DirectUsageError(`unknown command ${JSON.stringify(command)}`);
}

async function dump(conn: OfConnection, what: (typeof DUMP_WHAT)[number]): Promise<string> {
  switch (what) {
    case 'desc':
      return formatMessage(await conn.request({ type: 'MULTIPART_REQUEST', mpType: 'DESC', flags: 0 }));
    case 'features':
      return formatMessage(await conn.request({ type: 'FEATURES_REQUEST' }));
    case 'tables':
      return formatMessage(await conn.request({ type: 'MULTIPART_REQUEST', mpType: 'TABLE', flags: 0 }));
    case 'ports': {
      const desc = await conn.request({ type: 'MULTIPART_REQUEST', mpType: 'PORT_DESC', flags: 0 });
      const stats = await conn.request({
        type: 'MULTIPART_REQUEST',
        mpType: 'PORT_STATS',
        flags: 0,
        portNo: OFPP.ANY,
      });
      return `${formatMessage(desc)}\n${formatMessage(stats)}`;
    }
    case 'groups':
      return formatMessage(await conn.request({ type: 'MULTIPART_REQUEST', mpType: 'GROUP_DESC', flags: 0 }));
    case 'meters':
      return formatMessage(
        await conn.request({
          type: 'MULTIPART_REQUEST',
          mpType: 'METER_CONFIG',
          flags: 0,
          meterId: 0xffffffff,
        }),
      );
    case 'flows': {
      const r = await conn.request(flowStatsRequest());
      return ['OFPST_FLOW reply (OF1.3):', ...r.stats.map((f) => ` ${formatFlowStats(f)}`)].join('\n');
    }
  }
}

async function packetOut(
  args: readonly (string | undefined)[],
  tls: TlsOptions | undefined,
  timeoutMs: number,
): Promise<string> {
  const [uri, inPortText, actionsText, hex, ...extra] = args;
  const ep = endpointOf(uri);
  if (inPortText === undefined || actionsText === undefined || hex === undefined || extra.length > 0)
    throw new DirectUsageError('packet-out URI IN_PORT ACTIONS HEXFRAME');
  const inPort =
    inPortText === 'controller' || inPortText === 'CONTROLLER' ? OFPP.CONTROLLER : Number(inPortText);
  if (!Number.isInteger(inPort) || inPort < 0 || inPort > 0xffffffff)
    throw new DirectUsageError(`bad in_port ${inPortText}`);
  let actions: Action[];
  try {
    const spec = parseFlow(`actions=${actionsText}`);
    const apply = spec.instructions.find((i) => i.type === 'APPLY_ACTIONS');
    if (spec.instructions.length !== 1 || apply === undefined || !('actions' in apply))
      throw new Error('packet-out takes plain actions (no goto_table, meter or write_actions)');
    actions = [...apply.actions];
  } catch (e) {
    throw new DirectUsageError(`packet-out actions: ${(e as Error).message}`);
  }
  const clean = hex.replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(clean) || clean.length / 2 < 14)
    throw new DirectUsageError('packet-out: the frame is hex digits, 14 bytes at least');
  const data = Uint8Array.from(Buffer.from(clean, 'hex'));
  const conn = await connect(ep, tls, timeoutMs);
  try {
    await conn.sendChecked({ type: 'PACKET_OUT', bufferId: OFP_NO_BUFFER, inPort, actions, data });
    return '';
  } finally {
    conn.close();
  }
}
