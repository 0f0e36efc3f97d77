// Flow tables and FLOW_MOD semantics (OpenFlow 1.3.5 section 6.4): ADD with CHECK_OVERLAP and
// replacement of identical entries, MODIFY and DELETE strict and not, cookie masks, out_port
// and out_group filters, per-table flow limits, counters, idle and hard timeouts on an
// injected clock.

import {
  OFPFC,
  OFPFF,
  OFPG,
  OFPP,
  OFPTT,
  type Action,
  type FlowMod,
  type Instruction,
  type Match,
  errorCode,
  OFPET,
} from '@rumpflow/openflow';
import { Classifier } from './classifier.js';
import { InstructionPool } from './instruction-pool.js';
import { type CompiledMatch, compileMatch, covers, overlaps } from './match.js';

export interface FlowEntry {
  readonly tableId: number;
  readonly match: CompiledMatch;
  /** The match as the controller gave it (for statistics). */
  readonly oxms: Match;
  readonly priority: number;
  cookie: bigint;
  flags: number;
  idleTimeout: number;
  hardTimeout: number;
  instructions: Instruction[];
  /** The pipeline's compiled form of `instructions`, cached on the entry (cleared when they change). */
  compiled: unknown;
  packetCount: number;
  byteCount: number;
  /** Clock readings (ms) of installation and last use. */
  installedAt: number;
  lastUsed: number;
}

/** Why an entry left its table (FLOW_REMOVED reason). */
export const REMOVED = { IDLE_TIMEOUT: 0, HARD_TIMEOUT: 1, DELETE: 2, GROUP_DELETE: 3 } as const;

export interface Removal {
  readonly entry: FlowEntry;
  readonly reason: number;
}

/** A refused FLOW_MOD: the ERROR type and code to send. */
export class FlowModError extends Error {
  override readonly name = 'FlowModError';
  constructor(
    readonly type: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const flowModFailed = (code: Parameters<typeof errorCode<'FLOW_MOD_FAILED'>>[1], msg: string) =>
  new FlowModError(OFPET.FLOW_MOD_FAILED, errorCode('FLOW_MOD_FAILED', code), msg);

export class FlowTable {
  readonly classifier = new Classifier<FlowEntry>();
  lookupCount = 0;
  matchedCount = 0;
  config = 0;

  constructor(
    readonly tableId: number,
    public maxEntries: number,
    public name = `table${tableId}`,
  ) {}

  get activeCount(): number {
    return this.classifier.size;
  }

  /** Look a packet up; counts the lookup, the match and the entry's counters. */
  lookup(slots: Uint32Array, bytes: number, now: number): FlowEntry | undefined {
    this.lookupCount++;
    const e = this.classifier.lookup(slots);
    if (e === undefined) return undefined;
    this.matchedCount++;
    e.packetCount++;
    e.byteCount += bytes;
    e.lastUsed = now;
    return e;
  }
}

export interface FlowFilter {
  readonly tableId: number;
  readonly match: Match;
  readonly outPort: number;
  readonly outGroup: number;
  readonly cookie: bigint;
  readonly cookieMask: bigint;
}

/** Does any OUTPUT (in apply or write actions) go to `port`? */
function outputsTo(ins: Instruction[], port: number): boolean {
  return ins.some((i) => (i.type === 'APPLY_ACTIONS' || i.type === 'WRITE_ACTIONS') && i.actions.some((a: Action) => a.type === 'OUTPUT' && a.port === port));
}

function groupsTo(ins: Instruction[], group: number): boolean {
  return ins.some((i) => (i.type === 'APPLY_ACTIONS' || i.type === 'WRITE_ACTIONS') && i.actions.some((a: Action) => a.type === 'GROUP' && a.groupId === group));
}

/** Every table of a switch, and the FLOW_MOD operations across them. */
export class FlowTables {
  readonly tables: FlowTable[];
  /** Entries with a timeout, so expiry does not scan every flow. */
  private readonly timed = new Set<FlowEntry>();
  /** Equal instruction lists of different entries share one instance. */
  private readonly instructionPool = new InstructionPool();

  constructor(
    nTables: number,
    maxEntriesPerTable: number,
    private readonly now: () => number,
  ) {
    if (nTables < 1 || nTables > 255) throw new RangeError('1..255 tables');
    this.tables = Array.from({ length: nTables }, (_, i) => new FlowTable(i, maxEntriesPerTable));
  }

  table(id: number): FlowTable | undefined {
    return this.tables[id];
  }

  /** Apply a validated FLOW_MOD. Returns the entries it removed (DELETE); throws FlowModError. */
  apply(fm: FlowMod): Removal[] {
    switch (fm.command) {
      case OFPFC.ADD:
        this.add(fm);
        return [];
      case OFPFC.MODIFY:
      case OFPFC.MODIFY_STRICT:
        this.modify(fm, fm.command === OFPFC.MODIFY_STRICT);
        return [];
      case OFPFC.DELETE:
      case OFPFC.DELETE_STRICT:
        return this.delete(fm, fm.command === OFPFC.DELETE_STRICT);
      default:
        throw flowModFailed('BAD_COMMAND', `command ${fm.command}`);
    }
  }

  private requireTable(id: number): FlowTable {
    const t = this.tables[id];
    if (!t) throw flowModFailed('BAD_TABLE_ID', `no table ${id}`);
    return t;
  }

  private checkGotos(fm: FlowMod): void {
    for (const i of fm.instructions) {
      if (i.type === 'GOTO_TABLE' && (i.tableId >= this.tables.length || i.tableId <= fm.tableId)) {
        throw new FlowModError(OFPET.BAD_INSTRUCTION, errorCode('BAD_INSTRUCTION', 'BAD_TABLE_ID'), `goto_table ${i.tableId}`);
      }
    }
  }

  private add(fm: FlowMod): void {
    const t = this.requireTable(fm.tableId);
    this.checkGotos(fm);
    const match = compileMatch(fm.match);
    let replaced: FlowEntry | undefined;
    for (const e of t.classifier.withMatch(match)) if (e.priority === fm.priority) replaced = e;
    if ((fm.flags & OFPFF.CHECK_OVERLAP) !== 0) {
      for (const e of t.classifier.rules()) {
        if (e.priority === fm.priority && overlaps(e.match, match)) throw flowModFailed('OVERLAP', 'an entry of equal priority overlaps');
      }
    }
    if (!replaced && t.activeCount >= t.maxEntries) throw flowModFailed('TABLE_FULL', `table ${t.tableId} holds ${t.maxEntries} entries`);
    const now = this.now();
    const keep = replaced && (fm.flags & OFPFF.RESET_COUNTS) === 0;
    // the fields a packet touches first, so they share the object's first cache line
    const entry: FlowEntry = {
      priority: fm.priority,
      compiled: undefined,
      cookie: fm.cookie,
      packetCount: keep ? (replaced as FlowEntry).packetCount : 0,
      byteCount: keep ? (replaced as FlowEntry).byteCount : 0,
      lastUsed: now,
      match,
      tableId: fm.tableId,
      oxms: fm.match,
      flags: fm.flags,
      idleTimeout: fm.idleTimeout,
      hardTimeout: fm.hardTimeout,
      instructions: this.instructionPool.intern(fm.instructions),
      installedAt: now,
    };
    if (replaced) this.unlink(replaced);
    t.classifier.insert(entry);
    if (entry.idleTimeout > 0 || entry.hardTimeout > 0) this.timed.add(entry);
  }

  private cookieOk(e: FlowEntry, fm: { cookie: bigint; cookieMask: bigint }): boolean {
    return (e.cookie & fm.cookieMask) === (fm.cookie & fm.cookieMask);
  }

  private modify(fm: FlowMod, strict: boolean): void {
    const t = this.requireTable(fm.tableId);
    this.checkGotos(fm);
    const match = compileMatch(fm.match);
    const targets = strict
      ? [...t.classifier.withMatch(match)].filter((e) => e.priority === fm.priority)
      : [...t.classifier.rules()].filter((e) => covers(match, e.match));
    const instructions = this.instructionPool.intern(fm.instructions);
    for (const e of targets) {
      if (!this.cookieOk(e, fm)) continue;
      e.instructions = instructions;
      e.compiled = undefined;
      if ((fm.flags & OFPFF.RESET_COUNTS) !== 0) {
        e.packetCount = 0;
        e.byteCount = 0;
      }
    }
  }

  /** Entries a DELETE (or a statistics request) selects. */
  select(f: FlowFilter, strict = false, priority = 0): FlowEntry[] {
    const tables = f.tableId === OFPTT.ALL ? this.tables : [this.requireTable(f.tableId)];
    const match = compileMatch(f.match);
    const out: FlowEntry[] = [];
    for (const t of tables) {
      const candidates = strict ? [...t.classifier.withMatch(match)].filter((e) => e.priority === priority) : t.classifier.rules();
      for (const e of candidates) {
        if (!strict && !covers(match, e.match)) continue;
        if (!this.cookieOk(e, f)) continue;
        if (f.outPort !== OFPP.ANY && !outputsTo(e.instructions, f.outPort)) continue;
        if (f.outGroup !== OFPG.ANY && !groupsTo(e.instructions, f.outGroup)) continue;
        out.push(e);
      }
    }
    return out;
  }

  private delete(fm: FlowMod, strict: boolean): Removal[] {
    const victims = this.select(fm, strict, fm.priority);
    for (const e of victims) this.unlink(e);
    return victims.map((entry) => ({ entry, reason: REMOVED.DELETE }));
  }

  private unlink(e: FlowEntry): void {
    (this.tables[e.tableId] as FlowTable).classifier.remove(e);
    this.timed.delete(e);
  }

  /** Remove entries whose idle or hard timeout has passed (call at least once a second). */
  expire(): Removal[] {
    const now = this.now();
    const out: Removal[] = [];
    for (const e of this.timed) {
      if (e.hardTimeout > 0 && now - e.installedAt >= e.hardTimeout * 1000) out.push({ entry: e, reason: REMOVED.HARD_TIMEOUT });
      else if (e.idleTimeout > 0 && now - e.lastUsed >= e.idleTimeout * 1000) out.push({ entry: e, reason: REMOVED.IDLE_TIMEOUT });
    }
    for (const r of out) this.unlink(r.entry);
    return out;
  }

  /** Remove every entry that sends to group `g` (group deleted): reason GROUP_DELETE. */
  removeForGroup(g: number): Removal[] {
    const victims = this.select({ tableId: OFPTT.ALL, match: [], outPort: OFPP.ANY, outGroup: g, cookie: 0n, cookieMask: 0n });
    for (const e of victims) this.unlink(e);
    return victims.map((entry) => ({ entry, reason: REMOVED.GROUP_DELETE }));
  }

  /** Duration of an entry in the FLOW_REMOVED/FLOW stats form. */
  duration(e: FlowEntry): { sec: number; nsec: number } {
    const d = Math.max(0, this.now() - e.installedAt);
    const sec = Math.floor(d / 1000);
    return { sec, nsec: Math.min(999_999_999, Math.round((d - sec * 1000) * 1e6)) };
  }
}

/** Counters as reported: all ones when the entry asked not to count (NO_PKT/BYT_COUNTS). */
export function reportedCounts(e: FlowEntry): { packetCount: bigint; byteCount: bigint } {
  const ALL = 0xffffffffffffffffn;
  return {
    packetCount: (e.flags & OFPFF.NO_PKT_COUNTS) !== 0 ? ALL : BigInt(e.packetCount),
    byteCount: (e.flags & OFPFF.NO_BYT_COUNTS) !== 0 ? ALL : BigInt(e.byteCount),
  };
}
