// OpenFlow 1.3.5 error types and codes (section 7.4.4) and the typed error that decode and
// validate throw. Each error names the ERROR type/code a switch must answer with and carries
// the first 64 bytes of the offending message, so the caller can send the exact ERROR.

/** Error types (ofp_error_type). */
export const OFPET = {
  HELLO_FAILED: 0,
  BAD_REQUEST: 1,
  BAD_ACTION: 2,
  BAD_INSTRUCTION: 3,
  BAD_MATCH: 4,
  FLOW_MOD_FAILED: 5,
  GROUP_MOD_FAILED: 6,
  PORT_MOD_FAILED: 7,
  TABLE_MOD_FAILED: 8,
  QUEUE_OP_FAILED: 9,
  SWITCH_CONFIG_FAILED: 10,
  ROLE_REQUEST_FAILED: 11,
  METER_MOD_FAILED: 12,
  TABLE_FEATURES_FAILED: 13,
  EXPERIMENTER: 0xffff,
} as const;
export type ErrorTypeName = keyof typeof OFPET;

/** Codes per error type, in the specification's order (the index is the code). */
export const ERROR_CODES = {
  HELLO_FAILED: ['INCOMPATIBLE', 'EPERM'],
  BAD_REQUEST: [
    'BAD_VERSION',
    'BAD_TYPE',
    'BAD_MULTIPART',
    'BAD_EXPERIMENTER',
    'BAD_EXP_TYPE',
    'EPERM',
    'BAD_LEN',
    'BUFFER_EMPTY',
    'BUFFER_UNKNOWN',
    'BAD_TABLE_ID',
    'IS_SLAVE',
    'BAD_PORT',
    'BAD_PACKET',
    'MULTIPART_BUFFER_OVERFLOW',
  ],
  BAD_ACTION: [
    'BAD_TYPE',
    'BAD_LEN',
    'BAD_EXPERIMENTER',
    'BAD_EXP_TYPE',
    'BAD_OUT_PORT',
    'BAD_ARGUMENT',
    'EPERM',
    'TOO_MANY',
    'BAD_QUEUE',
    'BAD_OUT_GROUP',
    'MATCH_INCONSISTENT',
    'UNSUPPORTED_ORDER',
    'BAD_TAG',
    'BAD_SET_TYPE',
    'BAD_SET_LEN',
    'BAD_SET_ARGUMENT',
  ],
  BAD_INSTRUCTION: [
    'UNKNOWN_INST',
    'UNSUP_INST',
    'BAD_TABLE_ID',
    'UNSUP_METADATA',
    'UNSUP_METADATA_MASK',
    'BAD_EXPERIMENTER',
    'BAD_EXP_TYPE',
    'BAD_LEN',
    'EPERM',
  ],
  BAD_MATCH: [
    'BAD_TYPE',
    'BAD_LEN',
    'BAD_TAG',
    'BAD_DL_ADDR_MASK',
    'BAD_NW_ADDR_MASK',
    'BAD_WILDCARDS',
    'BAD_FIELD',
    'BAD_VALUE',
    'BAD_MASK',
    'BAD_PREREQ',
    'DUP_FIELD',
    'EPERM',
  ],
  FLOW_MOD_FAILED: [
    'UNKNOWN',
    'TABLE_FULL',
    'BAD_TABLE_ID',
    'OVERLAP',
    'EPERM',
    'BAD_TIMEOUT',
    'BAD_COMMAND',
    'BAD_FLAGS',
  ],
  GROUP_MOD_FAILED: [
    'GROUP_EXISTS',
    'INVALID_GROUP',
    'WEIGHT_UNSUPPORTED',
    'OUT_OF_GROUPS',
    'OUT_OF_BUCKETS',
    'CHAINING_UNSUPPORTED',
    'WATCH_UNSUPPORTED',
    'LOOP',
    'UNKNOWN_GROUP',
    'CHAINED_GROUP',
    'BAD_TYPE',
    'BAD_COMMAND',
    'BAD_BUCKET',
    'BAD_WATCH',
    'EPERM',
  ],
  PORT_MOD_FAILED: ['BAD_PORT', 'BAD_HW_ADDR', 'BAD_CONFIG', 'BAD_ADVERTISE', 'EPERM'],
  TABLE_MOD_FAILED: ['BAD_TABLE', 'BAD_CONFIG', 'EPERM'],
  QUEUE_OP_FAILED: ['BAD_PORT', 'BAD_QUEUE', 'EPERM'],
  SWITCH_CONFIG_FAILED: ['BAD_FLAGS', 'BAD_LEN', 'EPERM'],
  ROLE_REQUEST_FAILED: ['STALE', 'UNSUP', 'BAD_ROLE'],
  METER_MOD_FAILED: [
    'UNKNOWN',
    'METER_EXISTS',
    'INVALID_METER',
    'UNKNOWN_METER',
    'BAD_COMMAND',
    'BAD_FLAGS',
    'BAD_RATE',
    'BAD_BURST',
    'BAD_BAND',
    'BAD_BAND_VALUE',
    'OUT_OF_METERS',
    'OUT_OF_BANDS',
  ],
  TABLE_FEATURES_FAILED: ['BAD_TABLE', 'BAD_METADATA', 'BAD_TYPE', 'BAD_LEN', 'BAD_ARGUMENT', 'EPERM'],
  EXPERIMENTER: [],
} as const satisfies Record<ErrorTypeName, readonly string[]>;

/** The code names of an error type. */
export type CodeName<T extends ErrorTypeName> = (typeof ERROR_CODES)[T][number];

/** Numeric code of a named error, e.g. errorCode('BAD_MATCH', 'BAD_PREREQ') === 9. */
export function errorCode<T extends ErrorTypeName>(type: T, code: CodeName<T>): number {
  return (ERROR_CODES[type] as readonly string[]).indexOf(code);
}

/** An OpenFlow error as numbers: [type, code]. */
export type ErrorPair = readonly [type: number, code: number];

/**
 * The [type, code] numbers of a named error, e.g. errPair('BAD_ACTION', 'BAD_LEN') is [2, 1].
 * Codecs declare the errors they throw with this, never as bare numbers.
 */
export function errPair<T extends ErrorTypeName>(type: T, code: CodeName<T>): ErrorPair {
  const c = errorCode(type, code);
  if (c < 0) throw new RangeError(`no error code ${type}/${String(code)}`);
  return [OFPET[type], c] as const;
}

const TYPE_NAMES = new Map<number, ErrorTypeName>(
  Object.entries(OFPET).map(([k, v]) => [v, k as ErrorTypeName]),
);

/** Names for an error type and code, for logs and formatters ("BAD_MATCH", "BAD_PREREQ"). */
export function errorNames(type: number, code: number): { type: string; code: string } {
  const t = TYPE_NAMES.get(type);
  if (t === undefined) return { type: `type${type}`, code: `code${code}` };
  const c = (ERROR_CODES[t] as readonly string[])[code];
  return { type: t, code: c ?? `code${code}` };
}

/** Bytes of the offending message an ERROR carries (specification: at least 64). */
export const ERROR_DATA_LEN = 64;

/**
 * A message the codec or validator refuses. `type`/`code` are the OpenFlow error to answer
 * with; `data` is the start of the offending message (at most 64 bytes, a copy).
 */
export class OfpError extends Error {
  override readonly name = 'OfpError';
  constructor(
    readonly type: number,
    readonly code: number,
    message: string,
    readonly data: Uint8Array = new Uint8Array(0),
  ) {
    const n = errorNames(type, code);
    super(`${n.type}/${n.code}: ${message}`);
  }

  /** The ERROR message body a switch sends back for this error. */
  toErrorMessage(xid: number): { type: 'ERROR'; xid: number; errType: number; code: number; data: Uint8Array } {
    return { type: 'ERROR', xid, errType: this.type, code: this.code, data: this.data };
  }
}

/** Build an OfpError by names, copying the first 64 bytes of `msg`. */
export function ofpError<T extends ErrorTypeName>(
  type: T,
  code: CodeName<T>,
  message: string,
  msg?: Uint8Array,
): OfpError {
  const data = msg ? msg.slice(0, ERROR_DATA_LEN) : new Uint8Array(0);
  return new OfpError(OFPET[type], errorCode(type, code), message, data);
}

/** The code prefix of each error type in openflow.h (OFPBMC_BAD_PREREQ). */
const CODE_PREFIXES = {
  HELLO_FAILED: 'OFPHFC',
  BAD_REQUEST: 'OFPBRC',
  BAD_ACTION: 'OFPBAC',
  BAD_INSTRUCTION: 'OFPBIC',
  BAD_MATCH: 'OFPBMC',
  FLOW_MOD_FAILED: 'OFPFMFC',
  GROUP_MOD_FAILED: 'OFPGMFC',
  PORT_MOD_FAILED: 'OFPPMFC',
  TABLE_MOD_FAILED: 'OFPTMFC',
  QUEUE_OP_FAILED: 'OFPQOFC',
  SWITCH_CONFIG_FAILED: 'OFPSCFC',
  ROLE_REQUEST_FAILED: 'OFPRRFC',
  METER_MOD_FAILED: 'OFPMMFC',
  TABLE_FEATURES_FAILED: 'OFPTFFC',
} as const satisfies Record<Exclude<ErrorTypeName, 'EXPERIMENTER'>, string>;

/** openflow.h's name of an error code (OFPBMC_BAD_PREREQ), for the standard error types. */
export function ofpErrorCodeName(type: number, code: number): string | undefined {
  const n = errorNames(type, code);
  const prefix = (CODE_PREFIXES as Readonly<Record<string, string>>)[n.type];
  return prefix !== undefined ? `${prefix}_${n.code}` : undefined;
}

/** openflow.h's names of an error type and code: OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ. */
export function ofpErrorNames(type: number, code: number): { type: string; code: string } {
  const n = errorNames(type, code);
  return { type: `OFPET_${n.type}`, code: ofpErrorCodeName(type, code) ?? n.code };
}
