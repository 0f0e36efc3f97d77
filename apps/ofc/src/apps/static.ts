// `static`: flows from a file in Open vSwitch's flow syntax (the text `ovs-ofctl add-flows`
// reads), installed on every switch when it connects, and so again after each reconnect.
//
// One flow per line; `#` starts a comment; a trailing backslash continues the line; a line
// may start with the command word add, modify, modify_strict, delete or delete_strict
// (default add), as in `ovs-ofctl add-flows`. The file is read and checked at start-up: a
// line parseFlow refuses is a usage error naming the file and line. Each FLOW_MOD is sent
// with a barrier; a flow the switch refuses is logged with its line and the error, and the
// others are still installed.

import { readFileSync } from 'node:fs';
import { type FlowMod, FlowSyntaxError, OFPFC, errorNames, flowModFrom, parseFlow } from '@rumpflow/openflow';
import { OfpRemoteError } from '@rumpflow/openflow-connection';
import { Counter, UsageError } from '@rumpflow/service';
import type { AppContext, OfcApp } from '../app.js';

export interface StaticFlow {
  /** 1-based line of the file where the flow starts. */
  readonly line: number;
  readonly text: string;
  readonly flowMod: Omit<FlowMod, 'xid'>;
}

const COMMANDS: Readonly<Record<string, number>> = {
  add: OFPFC.ADD,
  modify: OFPFC.MODIFY,
  modify_strict: OFPFC.MODIFY_STRICT,
  delete: OFPFC.DELETE,
  delete_strict: OFPFC.DELETE_STRICT,
};

/** Parse a flow file; throws FlowSyntaxError with `FILE:LINE:` in front. */
export function parseFlowFile(text: string, name: string): StaticFlow[] {
  const flows: StaticFlow[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i] as string;
    while (line.endsWith('\\') && i + 1 < lines.length)
      line = line.slice(0, -1) + ' ' + (lines[++i] as string);
    const hash = line.indexOf('#');
    const body = (hash >= 0 ? line.slice(0, hash) : line).trim();
    if (body === '') continue;
    const m = /^(\w+)(\s+|$)/.exec(body);
    const word = m?.[1];
    const command =
      word !== undefined && Object.hasOwn(COMMANDS, word) ? (COMMANDS[word] as 0 | 1 | 2 | 3 | 4) : OFPFC.ADD;
    const flowText =
      word !== undefined && Object.hasOwn(COMMANDS, word) ? body.slice(word.length).trim() : body;
    try {
      flows.push({
        line: start,
        text: flowText,
        flowMod: flowModFrom(parseFlow(flowText, command), command),
      });
    } catch (e) {
      if (e instanceof FlowSyntaxError) throw new FlowSyntaxError(`${name}:${start}: ${e.token}`, e.reason);
      throw e;
    }
  }
  return flows;
}

export function staticApp(ctx: AppContext): OfcApp {
  const file = ctx.settings.staticFlows;
  if (file === undefined) throw new UsageError('--app static needs --static-flows FILE');
  let flows: StaticFlow[];
  try {
    flows = parseFlowFile(readFileSync(file, 'utf8'), file);
  } catch (e) {
    throw new UsageError(`--static-flows: ${(e as Error).message}`);
  }
  const refused = new Counter({
    name: 'ofc_static_flows_refused_total',
    help: 'Static flows a switch refused',
    labelNames: ['dpid'],
    registers: [ctx.metrics],
  });
  ctx.log.info({ file, flows: flows.length }, `static flows: ${flows.length} from ${file}`);
  return {
    name: 'static',
    async onSwitchEnter(dp) {
      let ok = 0;
      for (const f of flows) {
        if (dp.closed) return;
        try {
          await dp.sendChecked(f.flowMod);
          ok++;
        } catch (e) {
          refused.inc({ dpid: dp.dpid.toString() });
          const why = e instanceof OfpRemoteError ? errorNames(e.type, e.code) : undefined;
          ctx.log.error(
            {
              dpid: dp.id,
              line: f.line,
              flow: f.text,
              error: why ? `${why.type}/${why.code}` : (e as Error).message,
            },
            `${file}:${f.line}: switch ${dp.id} refused the flow`,
          );
        }
      }
      ctx.log.info(
        { dpid: dp.id, installed: ok, refused: flows.length - ok },
        `static: ${ok} of ${flows.length} flows installed on ${dp.id}`,
      );
    },
  };
}
