// Messages written by other implementations' test suites: every valid full message decodes
// and re-encodes to the same bytes; the invalid METER_MODs are refused with OFPMMFC errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OFPET, OfpError } from './errors.js';
import { decode, encode } from './messages.js';
import { validate } from './validate.js';
import { action, actionId, instruction, instructionId } from './actions.js';
import { helloElement } from './structures.js';
import { oxm, match } from './oxm.js';
import { readerOf, writerOf, type Codec } from './layout.js';

interface Case {
  name: string;
  kind?: string;
  hex: string;
  valid?: boolean;
}

const load = (f: string): Case[] =>
  JSON.parse(readFileSync(new URL(`../test/conformance/${f}`, import.meta.url), 'utf8')) as Case[];
const bytes = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

const loxigen = load('loxigen.json');
const ovs = load('ovs-ofp-print.json');

describe('LoxiGen of13 vectors', () => {
  const messages = loxigen.filter((c) => c.kind === 'message');
  it('has the 45 messages', () => expect(messages).toHaveLength(45));
  it.each(messages.map((c) => [c.name, c] as const))('%s round-trips', (_n, c) => {
    const b = bytes(c.hex);
    expect(Buffer.from(encode(decode(b))).toString('hex')).toBe(b.toString('hex'));
  });

  const fragments: Record<string, Codec<unknown>> = {
    oxm: oxm as Codec<unknown>,
    action: action as Codec<unknown>,
    instruction: instruction as Codec<unknown>,
    match: match as Codec<unknown>,
    action_id: actionId as Codec<unknown>,
    instruction_id: instructionId as Codec<unknown>,
    hello_elem: helloElement as Codec<unknown>,
  };
  // bsn_tlv is Big Switch's own TLV family, carried opaquely inside experimenter messages.
  const frag = loxigen.filter((c) => c.kind !== undefined && c.kind in fragments);
  it.each(frag.map((c) => [`${c.kind} ${c.name}`, c] as const))('fragment %s round-trips', (_n, c) => {
    const codec = fragments[c.kind as string] as Codec<unknown>;
    const b = bytes(c.hex);
    const r = readerOf(b);
    const v = codec.decode(r, b.length);
    expect(r.pos).toBe(b.length);
    const out = Buffer.alloc(codec.size(v));
    codec.write(writerOf(out), v);
    expect(out.toString('hex')).toBe(b.toString('hex'));
  });
});

describe('Open vSwitch ofp-print OF1.3 cases', () => {
  it('has the 44 cases', () => expect(ovs).toHaveLength(44));
  it.each(ovs.filter((c) => c.valid !== false).map((c) => [c.name, c] as const))('%s round-trips', (_n, c) => {
    const b = bytes(c.hex);
    const m = decode(b);
    expect(Buffer.from(encode(m)).toString('hex')).toBe(b.toString('hex'));
  });

  it('refuses the three invalid METER_MODs with OFPMMFC errors', () => {
    const invalid = ovs.filter((c) => c.valid === false);
    expect(invalid).toHaveLength(3);
    const codes = invalid.map((c) => {
      const b = bytes(c.hex);
      let err: OfpError | undefined;
      try {
        err = validate(decode(b), b);
      } catch (e) {
        err = e as OfpError;
      }
      expect(err).toBeInstanceOf(OfpError);
      expect(err?.type).toBe(OFPET.METER_MOD_FAILED);
      expect(Buffer.from(err?.data ?? []).toString('hex')).toBe(b.subarray(0, 64).toString('hex'));
      return `${c.name}: ${err?.code}`;
    });
    // OFPMMFC_BAD_BAND 8, BAD_COMMAND 4, BAD_FLAGS 5
    expect(codes).toEqual([
      'OFPT_METER_MOD request - bad band - OF1.3: 8',
      'OFPT_METER_MOD request - bad command - OF1.3: 4',
      'OFPT_METER_MOD request - bad flags - OF1.3: 5',
    ]);
  });
});
