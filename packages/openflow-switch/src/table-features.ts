// TABLE_FEATURES as this switch has them (1.3.5 section 7.3.5.5), derived from what the
// pipeline and the executor actually do, so the reply never claims more than the switch
// executes: every table lists every required property, the _MISS variants included (the
// table-miss entry may do everything a regular entry may).
//
// - INSTRUCTIONS: EXECUTED_INSTRUCTIONS, without GOTO_TABLE in the last table.
// - NEXT_TABLES: every later table (goto-table only goes forward).
// - WRITE_ACTIONS / APPLY_ACTIONS: EXECUTED_ACTIONS.
// - MATCH: all 40 OpenFlow-basic fields, maskable ones with the has-mask bit (and the doubled
//   length); WILDCARDS: all of them (any field may be omitted).
// - WRITE_SETFIELD / APPLY_SETFIELD: SETTABLE_FIELDS.
// - metadata_match and metadata_write: all 64 bits; config 0; max_entries the table's limit.
//
// Setting features (a request with a body) is refused with TABLE_FEATURES_FAILED/EPERM,
// which the specification provides for a switch whose pipeline cannot be reconfigured (and
// Open vSwitch answers the same).

import {
  type ActionId,
  type InstructionId,
  OXM_BY_ID,
  OXM_CLASS,
  type OxmId,
  type TableFeatureProp,
  type TableFeatures,
} from '@rumpflow/openflow';
import { EXECUTED_ACTIONS, EXECUTED_INSTRUCTIONS, SETTABLE_FIELDS } from './actions.js';
import type { FlowTable } from './flow-table.js';

const ALL_BITS = 0xffffffffffffffffn;

const matchIds: OxmId[] = OXM_BY_ID.map((f) => ({
  oxmClass: OXM_CLASS.OPENFLOW_BASIC,
  oxmField: f.id,
  hasMask: f.maskable,
  length: f.maskable ? 2 * f.bytes : f.bytes,
}));

const wildcardIds: OxmId[] = OXM_BY_ID.map((f) => ({
  oxmClass: OXM_CLASS.OPENFLOW_BASIC,
  oxmField: f.id,
  hasMask: false,
  length: f.bytes,
}));

const setFieldIds: OxmId[] = OXM_BY_ID.filter((f) => SETTABLE_FIELDS.includes(f.name)).map((f) => ({
  oxmClass: OXM_CLASS.OPENFLOW_BASIC,
  oxmField: f.id,
  hasMask: false,
  length: f.bytes,
}));

const actionIds = EXECUTED_ACTIONS.map((type) => ({ type })) as ActionId[];

/** The features of one table of a switch with `nTables` tables. */
export function featuresOf(table: FlowTable, nTables: number): TableFeatures {
  const last = table.tableId === nTables - 1;
  const instructionIds = EXECUTED_INSTRUCTIONS.filter((t) => !(last && t === 'GOTO_TABLE')).map((type) => ({
    type,
  })) as InstructionId[];
  const next = Array.from({ length: nTables - 1 - table.tableId }, (_, i) => table.tableId + 1 + i);
  const properties: TableFeatureProp[] = [
    { type: 'INSTRUCTIONS', instructionIds },
    { type: 'INSTRUCTIONS_MISS', instructionIds },
    { type: 'NEXT_TABLES', tableIds: next },
    { type: 'NEXT_TABLES_MISS', tableIds: next },
    { type: 'WRITE_ACTIONS', actionIds },
    { type: 'WRITE_ACTIONS_MISS', actionIds },
    { type: 'APPLY_ACTIONS', actionIds },
    { type: 'APPLY_ACTIONS_MISS', actionIds },
    { type: 'MATCH', oxmIds: matchIds },
    { type: 'WILDCARDS', oxmIds: wildcardIds },
    { type: 'WRITE_SETFIELD', oxmIds: setFieldIds },
    { type: 'WRITE_SETFIELD_MISS', oxmIds: setFieldIds },
    { type: 'APPLY_SETFIELD', oxmIds: setFieldIds },
    { type: 'APPLY_SETFIELD_MISS', oxmIds: setFieldIds },
  ];
  return {
    tableId: table.tableId,
    name: table.name,
    metadataMatch: ALL_BITS,
    metadataWrite: ALL_BITS,
    config: 0,
    maxEntries: table.maxEntries,
    properties,
  };
}
