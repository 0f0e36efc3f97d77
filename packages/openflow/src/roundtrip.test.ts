// Property tests: every kind of message the arbitraries generate survives encode → decode →
// encode unchanged, the stream framer cuts concatenated messages back apart however the
// stream is chunked, and refuses impossible lengths with BAD_REQUEST/BAD_LEN.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Action, action, actionId, bucket, instruction, instructionId } from './actions.js';
import { OFPET, OfpError } from './errors.js';
import { MessageFramer } from './framer.js';
import { type Codec, readerOf, writerOf } from './layout.js';
import { type Message, OFPT, decode, encode, readHeader } from './messages.js';
import { flowStats, groupDesc, groupStats, meterConfig, meterStats } from './multipart.js';
import { match, oxm } from './oxm.js';
import {
  helloElement,
  meterBand,
  oxmIds,
  packetQueue,
  port,
  queueProp,
  tableFeatureProp,
  tableFeatures,
} from './structures.js';
import {
  ACTION_TYPES,
  INSTRUCTION_TYPES,
  KIND_NAMES,
  MESSAGE_TYPES,
  MULTIPART_TYPES,
  OXM_FIELD_NAMES,
  TABLE_FEATURE_PROP_TYPES,
  type Arb,
  arbAction,
  arbActionId,
  arbBucket,
  arbByType,
  arbFlowStats,
  arbGroupDesc,
  arbGroupStats,
  arbHelloElement,
  arbInstruction,
  arbInstructionId,
  arbKinds,
  arbMatch,
  arbMessage,
  arbMeterBand,
  arbMeterConfig,
  arbMeterStats,
  arbOxm,
  arbOxmId,
  arbPacketQueue,
  arbPort,
  arbQueueProp,
  arbTableFeatureProp,
  arbTableFeatures,
  canonical,
  hex,
  kindOf,
  u32,
} from '../test/arbitraries.js';

/** Runs per message kind; raise with OPENFLOW_PROPERTY_RUNS for a longer soak. */
const RUNS = Number(process.env.OPENFLOW_PROPERTY_RUNS ?? 150);
const SEED =
  process.env.OPENFLOW_PROPERTY_SEED === undefined ? undefined : Number(process.env.OPENFLOW_PROPERTY_SEED);
const params = (numRuns: number): { numRuns: number; seed?: number } =>
  SEED === undefined ? { numRuns } : { numRuns, seed: SEED };

function fail(what: string, b: Uint8Array): never {
  throw new Error(`${what}\n  encoding: ${hex(b)}`);
}

/** decode(encode(m)) equals m, encode(decode(encode(m))) equals encode(m), and the header is right. */
function roundTrip(m: Message): void {
  const b = encode(m);
  const h = readHeader(b);
  if (h.length !== b.length) fail(`header length ${h.length} but ${b.length} bytes`, b);
  if (h.type !== OFPT[m.type]) fail(`header type ${h.type}, expected ${OFPT[m.type]}`, b);
  if (h.xid !== m.xid) fail(`header xid ${h.xid}, expected ${m.xid}`, b);
  const version = m.type === 'HELLO' ? m.version : 4;
  if (h.version !== version) fail(`header version ${h.version}, expected ${version}`, b);
  let d: Message;
  try {
    d = decode(b);
  } catch (e) {
    fail(`decode threw ${String(e)}`, b);
  }
  expect(canonical(d)).toStrictEqual(canonical(m));
  const again = encode(d);
  if (hex(again) !== hex(b)) fail(`re-encoding differs:\n  got:      ${hex(again)}`, b);
}

describe('message round trip (one property per kind)', () => {
  it('has a kind for every message type and every multipart type in both directions', () => {
    expect(MESSAGE_TYPES).toHaveLength(30);
    expect([...MESSAGE_TYPES].sort()).toEqual(Object.keys(OFPT).sort());
    expect(MULTIPART_TYPES).toHaveLength(15);
    // 28 plain types with ERROR split in two, and 15 multipart bodies each way
    expect(KIND_NAMES).toHaveLength(29 + 30);
  });

  it.each(KIND_NAMES)('%s', (kind) => {
    const arb = arbKinds[kind] as Arb<Message>;
    fc.assert(
      fc.property(arb, (m) => {
        expect(kindOf(m)).toBe(kind);
        roundTrip(m);
      }),
      params(RUNS),
    );
  });

  it.each(MESSAGE_TYPES)('any %s', (type) => {
    fc.assert(fc.property(arbByType[type], roundTrip), params(Math.ceil(RUNS / 3)));
  });
});

describe('messages at the 65535-byte limit', () => {
  it('round-trip up to exactly 65535 bytes, and larger ones are refused by encode', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0xffff - 64, max: 0xffff + 64 }), u32, (n, x) => {
        const m: Message = { type: 'ECHO_REQUEST', xid: x, data: new Uint8Array(n - 8).fill(x & 0xff) };
        if (n > 0xffff) expect(() => encode(m)).toThrow(RangeError);
        else roundTrip(m);
      }),
      params(RUNS),
    );
  });

  it('a PACKET_OUT of nearly 64 KiB with thousands of actions', () => {
    fc.assert(
      fc.property(fc.array(arbAction, { minLength: 8200, maxLength: 8200 }), (all) => {
        // As many actions as fit next to the 24 bytes of PACKET_OUT's fixed part.
        const actions: Action[] = [];
        let room = 0xffff - 24;
        for (const a of all) {
          if (action.size(a) > room) break;
          room -= action.size(a);
          actions.push(a);
        }
        expect(room).toBeLessThan(300);
        roundTrip({
          type: 'PACKET_OUT',
          xid: 1,
          bufferId: 0xffffffff,
          inPort: 1,
          actions,
          data: new Uint8Array(room),
        });
      }),
      params(5),
    );
  });
});

describe('the arbitraries reach every variant', () => {
  const names = <T>(arb: Arb<T>, key: (v: T) => string, n = 3000): Set<string> =>
    new Set(fc.sample(arb, { seed: 1, numRuns: n }).map(key));

  it('every kind of message', () => {
    expect(names(arbMessage, kindOf)).toEqual(new Set(KIND_NAMES));
  });
  it('every action, instruction, OXM field and table-feature property', () => {
    expect(names(arbAction, (a) => a.type)).toEqual(new Set(ACTION_TYPES));
    expect(names(arbInstruction, (i) => i.type)).toEqual(new Set(INSTRUCTION_TYPES));
    expect(names(arbOxm, (o) => o.field)).toEqual(new Set([...OXM_FIELD_NAMES, 'OPAQUE']));
    expect(names(arbTableFeatureProp, (p) => p.type)).toEqual(new Set(TABLE_FEATURE_PROP_TYPES));
    expect(names(arbMeterBand, (b) => b.type)).toEqual(new Set(['DROP', 'DSCP_REMARK', 'EXPERIMENTER']));
    expect(names(arbQueueProp, (p) => p.type)).toEqual(
      new Set(['MIN_RATE', 'MAX_RATE', 'EXPERIMENTER', 'UNKNOWN']),
    );
    expect(names(arbHelloElement, (e) => e.type)).toEqual(new Set(['VERSIONBITMAP', 'UNKNOWN']));
  });

  it('inside messages: every variant appears nested where it belongs', () => {
    // Collect "container:variant" for every list element or OXM found in sampled messages.
    const seen = new Set<string>();
    const walk = (v: unknown, parent: string): void => {
      if (v instanceof Uint8Array || v === null || typeof v !== 'object') return;
      if (Array.isArray(v)) {
        for (const x of v) walk(x, parent);
        return;
      }
      const o = v as Record<string, unknown>;
      if (typeof o.field === 'string' && 'value' in o) seen.add(`oxm:${o.field}`);
      if (o.field === 'OPAQUE') seen.add('oxm:OPAQUE');
      if (typeof o.type === 'string' && parent !== '') seen.add(`${parent}:${o.type}`);
      for (const [k, x] of Object.entries(o)) walk(x, k);
    };
    for (const m of fc.sample(arbMessage, { seed: 2, numRuns: 4000 })) walk(m, '');
    const want = [
      ...ACTION_TYPES.map((t) => `actions:${t}`),
      ...INSTRUCTION_TYPES.map((t) => `instructions:${t}`),
      ...OXM_FIELD_NAMES.map((f) => `oxm:${f}`),
      'oxm:OPAQUE',
      ...TABLE_FEATURE_PROP_TYPES.map((t) => `properties:${t}`),
      ...ACTION_TYPES.map((t) => `actionIds:${t}`),
      ...INSTRUCTION_TYPES.map((t) => `instructionIds:${t}`),
      ...['DROP', 'DSCP_REMARK', 'EXPERIMENTER'].map((t) => `bands:${t}`),
      ...['MIN_RATE', 'MAX_RATE', 'EXPERIMENTER', 'UNKNOWN'].map((t) => `properties:${t}`),
      'elements:VERSIONBITMAP',
      'elements:UNKNOWN',
    ];
    expect(want.filter((w) => !seen.has(w))).toEqual([]);
  });
});

describe('fragment round trip', () => {
  const fragment = <T>(name: string, codec: Codec<T>, arb: Arb<T>) =>
    it(name, () => {
      fc.assert(
        fc.property(arb, (v) => {
          const b = new Uint8Array(codec.size(v));
          const w = writerOf(b);
          codec.write(w, v);
          expect(w.pos).toBe(b.length);
          const r = readerOf(b);
          const d = codec.decode(r, b.length);
          expect(r.pos).toBe(b.length);
          expect(canonical(d)).toStrictEqual(canonical(v));
        }),
        params(RUNS * 2),
      );
    });
  fragment('oxm', oxm, arbOxm);
  fragment('match', match, arbMatch);
  fragment('action', action, arbAction);
  fragment('action_id', actionId, arbActionId);
  fragment('instruction', instruction, arbInstruction);
  fragment('instruction_id', instructionId, arbInstructionId);
  fragment('oxm_id[]', oxmIds, fc.array(arbOxmId, { maxLength: 16 }));
  fragment('bucket', bucket, arbBucket);
  fragment('port', port, arbPort);
  fragment('hello_element', helloElement, arbHelloElement);
  fragment('meter_band', meterBand, arbMeterBand);
  fragment('queue_prop', queueProp, arbQueueProp);
  fragment('packet_queue', packetQueue, arbPacketQueue);
  fragment('table_feature_prop', tableFeatureProp, arbTableFeatureProp);
  fragment('table_features', tableFeatures, arbTableFeatures);
  fragment('flow_stats', flowStats, arbFlowStats);
  fragment('group_stats', groupStats, arbGroupStats);
  fragment('group_desc', groupDesc, arbGroupDesc);
  fragment('meter_stats', meterStats, arbMeterStats);
  fragment('meter_config', meterConfig, arbMeterConfig);
});

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let p = 0;
  for (const x of parts) {
    out.set(x, p);
    p += x.length;
  }
  return out;
}

describe('MessageFramer', () => {
  it('gives back exactly the messages of a stream cut into arbitrary chunks', () => {
    fc.assert(
      fc.property(
        fc.array(arbMessage, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 24 }),
        (ms, cuts) => {
          const frames = ms.map(encode);
          const stream = concat(frames);
          // Cut points in any order, repeats allowed (empty chunks are pushed too).
          const points = cuts.map((c) => c % (stream.length + 1)).sort((a, b) => a - b);
          const framer = new MessageFramer();
          const out: Uint8Array[] = [];
          let prev = 0;
          for (const p of [...points, stream.length]) {
            out.push(...framer.push(stream.slice(prev, p)));
            prev = p;
            expect(framer.pending).toBe(p - out.reduce((n, x) => n + x.length, 0));
          }
          expect(out.map(hex)).toEqual(frames.map(hex));
          expect(framer.pending).toBe(0);
        },
      ),
      params(RUNS * 2),
    );
  });

  it('also frames one byte at a time', () => {
    fc.assert(
      fc.property(fc.array(arbMessage, { maxLength: 3 }), (ms) => {
        const frames = ms.map(encode);
        const stream = concat(frames);
        const framer = new MessageFramer();
        const out: Uint8Array[] = [];
        for (let i = 0; i < stream.length; i++) out.push(...framer.push(stream.slice(i, i + 1)));
        expect(out.map(hex)).toEqual(frames.map(hex));
      }),
      params(Math.ceil(RUNS / 3)),
    );
  });

  /** A maximum message length and a length outside 8..max. */
  const badLength = fc
    .integer({ min: 8, max: 0xffff })
    .chain((max) =>
      fc.tuple(
        fc.constant(max),
        max < 0xffff
          ? fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: max + 1, max: 0xffff }))
          : fc.integer({ min: 0, max: 7 }),
      ),
    );

  it('throws BAD_REQUEST/BAD_LEN for a length below 8 or above maxMessageLen, wherever the chunks end', () => {
    fc.assert(
      fc.property(
        badLength,
        fc.array(arbMessage, { maxLength: 4 }),
        fc.uint8Array({ minLength: 4, maxLength: 100 }),
        fc.nat(),
        ([max, len], ms, bad, cut) => {
          const framer = new MessageFramer({ maxMessageLen: max });
          expect(framer.maxMessageLen).toBe(max);
          // Good messages first: they come out before the bad header is seen.
          const good = ms.map(encode).filter((f) => f.length <= max);
          const frame = bad.slice();
          frame[2] = len >> 8;
          frame[3] = len & 0xff;
          const at = cut % (frame.length + 1);
          const out = framer.push(concat(good));
          expect(out.map(hex)).toEqual(good.map(hex));
          let thrown: unknown;
          let pushed = 0;
          try {
            framer.push(frame.slice(0, at));
            pushed = at;
            framer.push(frame.slice(at));
            pushed = frame.length;
          } catch (e) {
            thrown = e;
          }
          // The header's length field is complete after 4 bytes: the framer throws as soon as it has them.
          expect(pushed).toBe(at < 4 ? at : 0);
          expect(thrown).toBeInstanceOf(OfpError);
          const err = thrown as OfpError;
          expect([err.type, err.code]).toEqual([OFPET.BAD_REQUEST, 6]);
          expect(hex(err.data)).toBe(hex(frame.subarray(0, Math.min(at < 4 ? frame.length : at, 64))));
          // Framing restarts clean.
          expect(framer.pending).toBe(0);
          const next = encode({ type: 'BARRIER_REQUEST', xid: 7 });
          expect(framer.push(next).map(hex)).toEqual([hex(next)]);
        },
      ),
      params(RUNS * 2),
    );
  });
});
