import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode, flowMod, type Instruction, type FlowMod } from '@rumpflow/openflow';
import { InstructionPool } from './instruction-pool.js';

/** A FLOW_MOD carrying `instructions`, encoded: the pool sees lists as a channel decodes them. */
function wire(instructions: Instruction[]): Uint8Array {
  return encode({ ...flowMod({ priority: 1, instructions }), xid: 1 });
}
const decoded = (b: Uint8Array): Instruction[] => (decode(b) as FlowMod).instructions;
/** The instructions' bytes: the FLOW_MOD after its empty match (56 bytes). */
const instructionBytes = (b: Uint8Array): string => Buffer.from(b.subarray(56)).toString('hex');

const arbList: fc.Arbitrary<Instruction[]> = fc.array(
  fc.oneof(
    fc
      .array(
        fc.oneof(
          fc.record({
            type: fc.constant('OUTPUT' as const),
            port: fc.integer({ min: 1, max: 3 }),
            maxLen: fc.constantFrom(0, 128),
          }),
          fc.record({ type: fc.constant('GROUP' as const), groupId: fc.integer({ min: 1, max: 2 }) }),
          fc.record({
            type: fc.constant('SET_FIELD' as const),
            field: fc.record({
              field: fc.constant('ETH_DST' as const),
              value: fc.constantFrom('00:00:00:00:00:01', '00:00:00:00:00:02'),
            }),
          }),
        ),
        { maxLength: 3 },
      )
      .map((actions) => ({ type: 'APPLY_ACTIONS' as const, actions })),
    fc.record({ type: fc.constant('GOTO_TABLE' as const), tableId: fc.integer({ min: 1, max: 2 }) }),
    fc.record({
      type: fc.constant('WRITE_METADATA' as const),
      metadata: fc.constantFrom(0n, 1n, 1n << 40n),
      metadataMask: fc.constantFrom(1n, 0xffn),
    }),
  ),
  { maxLength: 3 },
) as fc.Arbitrary<Instruction[]>;

describe('InstructionPool', () => {
  it('shares exactly the lists whose bytes are equal, and returns lists equal to what it was given', () => {
    fc.assert(
      fc.property(fc.array(arbList, { minLength: 1, maxLength: 12 }), (lists) => {
        const pool = new InstructionPool();
        const wires = lists.map(wire);
        const got = wires.map((w) => pool.intern(decoded(w)));
        wires.forEach((w, i) => {
          // what the pool hands back encodes as the list it stands for
          expect(instructionBytes(wire(got[i] as Instruction[]))).toBe(instructionBytes(w));
          wires.forEach((v, j) =>
            expect(got[i] === got[j]).toBe(instructionBytes(w) === instructionBytes(v)),
          );
        });
        expect(pool.size).toBe(new Set(wires.map(instructionBytes)).size);
      }),
      { numRuns: 200 },
    );
  });

  it('tells lists apart by the padding bytes a decoder kept', () => {
    const pool = new InstructionPool();
    const list: Instruction[] = [
      { type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 1, maxLen: 0 }] },
    ];
    const plain = wire(list);
    const padded = Uint8Array.from(plain);
    padded[56 + 8 + 10] = 0xaa; // a byte of the OUTPUT action's padding, non-zero
    const a = pool.intern(decoded(plain));
    const b = pool.intern(decoded(padded));
    expect(b).not.toBe(a);
    expect(instructionBytes(wire(b))).toBe(instructionBytes(padded));
    expect(pool.intern(decoded(padded))).toBe(b);
  });
});
