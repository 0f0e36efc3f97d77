// Test harness: drives a Datapath only as controllers and wires would. A Controller encodes
// messages into its channel's receive() and decodes everything the channel sends; ports
// capture the frames the switch transmits; the clock is a number the test moves.

import {
  MessageFramer,
  type FlowMod,
  type FlowModCommand,
  type Message,
  type MessageOf,
  type UnsentMessage,
  OFPFC,
  OFPMPF_MORE,
  decode,
  encode,
  errorNames,
  flowModFrom,
  parseFlow,
} from '@rumpflow/openflow';
import { flowStatsRequest as codecFlowStatsRequest } from '@rumpflow/openflow';
import { buildUdp } from '@rumpflow/packet';
import { Datapath, type DatapathOptions, type Channel } from '../src/index.js';

export class Clock {
  t = 1_000_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export function makeSwitch(opts: Partial<DatapathOptions> = {}): { dp: Datapath; clock: Clock } {
  const clock = new Clock();
  const dp = new Datapath({ datapathId: 0x1234n, nTables: 4, now: clock.now, ...opts });
  return { dp, clock };
}

export const mac = (n: number): string => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;

/** Attach port `portNo`; the frames it transmits are collected (copies). */
export function attach(dp: Datapath, portNo: number, extra: Record<string, number> = {}): Uint8Array[] {
  const frames: Uint8Array[] = [];
  dp.addPort({
    portNo,
    name: `p${portNo}`,
    hwAddr: mac(portNo & 0xff),
    ...extra,
    send: (f) => frames.push(Uint8Array.from(f)),
  });
  return frames;
}

/** A small UDP frame from host a to host b (distinct per seq). */
export function udp(a = 1, b = 2, seq = 0, len = 0): Buffer {
  return buildUdp({
    srcMac: mac(a),
    dstMac: mac(b),
    src: `10.0.0.${a}`,
    dst: `10.0.0.${b}`,
    srcPort: 1000 + seq,
    dstPort: 2000,
    payload: new Uint8Array(len),
  });
}

/** A FLOW_MOD in ovs-ofctl syntax. */
export function fm(
  text: string,
  command: FlowModCommand = OFPFC.ADD,
  extra: Partial<FlowMod> = {},
): UnsentMessage {
  return { ...flowModFrom(parseFlow(text, command), command), ...extra };
}

export const HELLO13: UnsentMessage = {
  type: 'HELLO',
  version: 4,
  elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x10] }],
};

export class Controller {
  readonly channel: Channel;
  /** Everything received and not taken yet. */
  readonly inbox: Message[] = [];
  /** Raw bytes of every message received, in order. */
  readonly raw: Uint8Array[] = [];
  closedWith: string | undefined;
  private nextXid = 1000;
  private readonly framer = new MessageFramer();

  constructor(dp: Datapath, hello: UnsentMessage | false = HELLO13) {
    this.channel = dp.openChannel(
      (bytes) => {
        for (const m of this.framer.push(Uint8Array.from(bytes))) {
          this.raw.push(m);
          this.inbox.push(decode(m));
        }
      },
      { onClose: (r) => (this.closedWith = r) },
    );
    if (hello) {
      this.send(hello);
      const first = this.inbox.shift();
      if (first?.type !== 'HELLO') throw new Error(`expected the switch's HELLO, got ${first?.type}`);
    }
  }

  /** Encode and feed one message; returns its xid. */
  send(m: UnsentMessage, xid = this.nextXid++): number {
    this.channel.receive(encode({ ...m, xid } as Message));
    return xid;
  }

  sendRaw(bytes: Uint8Array): void {
    this.channel.receive(bytes);
  }

  /** Take everything received. */
  take(): Message[] {
    return this.inbox.splice(0);
  }

  /** Take the messages of one type (leaving the others). */
  takeType<T extends Message['type']>(type: T): MessageOf<T>[] {
    const out: MessageOf<T>[] = [];
    for (let i = 0; i < this.inbox.length;) {
      const m = this.inbox[i] as Message;
      if (m.type === type) {
        out.push(m as MessageOf<T>);
        this.inbox.splice(i, 1);
      } else i++;
    }
    return out;
  }

  /** Send a request; take and return the messages answering it (same xid). */
  request(m: UnsentMessage): Message[] {
    const xid = this.send(m);
    const out: Message[] = [];
    for (let i = 0; i < this.inbox.length;) {
      const r = this.inbox[i] as Message;
      if (r.xid === xid) {
        out.push(r);
        this.inbox.splice(i, 1);
      } else i++;
    }
    return out;
  }

  /** A request answered by exactly one message of type T. */
  one<T extends Message['type']>(m: UnsentMessage, type: T): MessageOf<T> {
    const r = this.request(m);
    if (r.length !== 1 || r[0]?.type !== type)
      throw new Error(`expected one ${type}, got ${r.map(describe).join(', ') || 'nothing'}`);
    return r[0] as MessageOf<T>;
  }

  /** A request that must be answered by nothing (checked with a barrier behind it). */
  ok(m: UnsentMessage): void {
    const xid = this.send(m);
    const b = this.send({ type: 'BARRIER_REQUEST' });
    const answers = this.inbox.filter((r) => r.xid === xid);
    if (answers.length > 0) throw new Error(`expected no answer, got ${answers.map(describe).join(', ')}`);
    const i = this.inbox.findIndex((r) => r.xid === b && r.type === 'BARRIER_REPLY');
    if (i < 0) throw new Error('no BARRIER_REPLY');
    this.inbox.splice(i, 1);
  }

  /** The ERROR answering a request, as names: ['BAD_MATCH', 'BAD_PREREQ']. */
  error(m: UnsentMessage | Uint8Array): { names: [string, string]; data: Uint8Array; request: Uint8Array } {
    const request = m instanceof Uint8Array ? m : encode({ ...m, xid: this.nextXid++ } as Message);
    const xid = new DataView(request.buffer, request.byteOffset).getUint32(4);
    this.sendRaw(request);
    const r = this.inbox.filter((x) => x.xid === xid);
    const e = r[0];
    if (r.length !== 1 || e?.type !== 'ERROR')
      throw new Error(`expected one ERROR, got ${r.map(describe).join(', ') || 'nothing'}`);
    this.inbox.splice(this.inbox.indexOf(e), 1);
    const n = errorNames(e.errType, e.code);
    return { names: [n.type, n.code], data: Uint8Array.from(e.data), request };
  }

  /** All parts of a multipart reply, checking REPLY_MORE on all but the last. */
  multipart<P extends MessageOf<'MULTIPART_REPLY'>['mpType']>(
    m: UnsentMessage,
    mpType: P,
  ): Extract<MessageOf<'MULTIPART_REPLY'>, { mpType: P }>[] {
    const parts = this.request(m);
    parts.forEach((p, i) => {
      if (p.type !== 'MULTIPART_REPLY' || p.mpType !== mpType)
        throw new Error(`expected ${mpType} reply, got ${describe(p)}`);
      const more = (p.flags & OFPMPF_MORE) !== 0;
      if (more !== i < parts.length - 1) throw new Error(`part ${i} of ${parts.length}: REPLY_MORE ${more}`);
    });
    if (parts.length === 0) throw new Error(`no ${mpType} reply`);
    return parts as Extract<MessageOf<'MULTIPART_REPLY'>, { mpType: P }>[];
  }
}

export function describe(m: Message): string {
  if (m.type === 'ERROR') {
    const n = errorNames(m.errType, m.code);
    return `ERROR ${n.type}/${n.code}`;
  }
  return m.type === 'MULTIPART_REPLY' || m.type === 'MULTIPART_REQUEST' ? `${m.type} ${m.mpType}` : m.type;
}

/** A FLOW stats request (the codec's), with `extra` narrowing it. */
export function flowStatsRequest(
  extra: Partial<MessageOf<'MULTIPART_REQUEST'> & { mpType: 'FLOW' }> = {},
): UnsentMessage {
  return codecFlowStatsRequest(extra as Parameters<typeof codecFlowStatsRequest>[0]) as UnsentMessage;
}

export function aggregateRequest(extra: Record<string, unknown> = {}): UnsentMessage {
  return { ...(flowStatsRequest(extra) as object), mpType: 'AGGREGATE' } as UnsentMessage;
}

export const mp = (mpType: string, body: Record<string, unknown> = {}): UnsentMessage =>
  ({ type: 'MULTIPART_REQUEST', mpType, flags: 0, ...body }) as UnsentMessage;

/** TABLE stats as [active, lookups, matched] per table (through a request). */
export function tableCounts(c: Controller): [number, number, number][] {
  return c
    .multipart(mp('TABLE'), 'TABLE')
    .flatMap((p) => p.stats)
    .map((t) => [t.activeCount, Number(t.lookupCount), Number(t.matchedCount)]);
}

/** A port's PORT_STATS counters as numbers (through a request). */
export function portCounts(
  c: Controller,
  portNo: number,
): Record<'rxPackets' | 'rxDropped' | 'txPackets' | 'txDropped', number> {
  const s = c.multipart(mp('PORT_STATS', { portNo }), 'PORT_STATS')[0]?.stats[0];
  if (!s) throw new Error(`no stats for port ${portNo}`);
  return {
    rxPackets: Number(s.rxPackets),
    rxDropped: Number(s.rxDropped),
    txPackets: Number(s.txPackets),
    txDropped: Number(s.txDropped),
  };
}

/** A port's description (through PORT_DESC). */
export function portDesc(c: Controller, portNo: number) {
  return c
    .multipart(mp('PORT_DESC'), 'PORT_DESC')
    .flatMap((p) => p.ports)
    .find((p) => p.portNo === portNo);
}
