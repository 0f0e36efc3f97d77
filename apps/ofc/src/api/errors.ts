// What the API answers when a request cannot be done:
//   an unknown datapath id                          404 { error: "Not Found", message }
//   a body Ryu's ofctl would refuse                  400 { error: "Bad Request", message }
//   the switch answered with an OpenFlow ERROR       4xx/5xx { error: "OFPET_BAD_MATCH",
//                                                    code: "OFPBMC_BAD_PREREQ", message,
//                                                    error_type: 4, error_code: 9 }
//   no reply in time                                 504, the switch disconnected meanwhile 502,
//   the connection's queue is full                   503

import { STATUS_CODES } from 'node:http';
import { errorNames, ofpErrorNames } from '@rumpflow/openflow';
import { ConnectionError, OfpRemoteError } from '@rumpflow/openflow-connection';
import { RyuValueError } from '../ryu/ints.js';

/** An error with an HTTP status; the message goes into the body. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const FULL = new Set([
  'TABLE_FULL',
  'OUT_OF_GROUPS',
  'OUT_OF_BUCKETS',
  'OUT_OF_METERS',
  'OUT_OF_BANDS',
  'MULTIPART_BUFFER_OVERFLOW',
]);
const CONFLICT = new Set(['GROUP_EXISTS', 'METER_EXISTS', 'OVERLAP', 'CHAINED_GROUP', 'LOOP', 'STALE']);
const UNKNOWN = new Set(['UNKNOWN_GROUP', 'UNKNOWN_METER']);
const UNSUPPORTED: Readonly<Record<string, readonly string[]>> = {
  BAD_REQUEST: ['BAD_TYPE', 'BAD_MULTIPART', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE'],
  BAD_ACTION: ['BAD_TYPE', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE'],
  BAD_INSTRUCTION: [
    'UNKNOWN_INST',
    'UNSUP_INST',
    'UNSUP_METADATA',
    'UNSUP_METADATA_MASK',
    'BAD_EXPERIMENTER',
    'BAD_EXP_TYPE',
  ],
  GROUP_MOD_FAILED: ['WEIGHT_UNSUPPORTED', 'CHAINING_UNSUPPORTED', 'WATCH_UNSUPPORTED'],
  ROLE_REQUEST_FAILED: ['UNSUP'],
};

/**
 * The HTTP status of a switch's ERROR: 403 for EPERM and IS_SLAVE, 404 for an unknown group
 * or meter, 409 for what exists already or conflicts (GROUP_EXISTS, METER_EXISTS, OVERLAP,
 * LOOP, STALE), 501 for what the switch does not support (unknown message, multipart,
 * instruction, action or experimenter types, unsupported group features, roles), 502 for
 * HELLO_FAILED, 507 when a table or the group/meter/bucket space is full, 400 for the rest
 * (the request was wrong for this switch: BAD_MATCH, BAD_ACTION, BAD_TABLE_ID, ...).
 */
export function httpStatusOf(errType: number, code: number): number {
  const n = errorNames(errType, code);
  if (n.code === 'EPERM' || n.code === 'IS_SLAVE') return 403;
  if (n.type === 'HELLO_FAILED') return 502;
  if (FULL.has(n.code)) return 507;
  if (CONFLICT.has(n.code)) return 409;
  if (UNKNOWN.has(n.code)) return 404;
  if (UNSUPPORTED[n.type]?.includes(n.code)) return 501;
  return 400;
}

export interface ErrorReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The answer to an error of an API request, or undefined for errors the server's own handler answers. */
export function errorReplyOf(e: unknown): ErrorReply | undefined {
  if (e instanceof OfpRemoteError) {
    const names = ofpErrorNames(e.type, e.code);
    const status = httpStatusOf(e.type, e.code);
    return {
      status,
      body: {
        error: names.type,
        code: names.code,
        message: `the switch refused the request: ${names.type} ${names.code}`,
        error_type: e.type,
        error_code: e.code,
      },
    };
  }
  const plain = (status: number, message: string): ErrorReply => ({
    status,
    body: { error: STATUS_CODES[status] ?? 'Error', message },
  });
  if (e instanceof RyuValueError) return plain(400, e.message);
  if (e instanceof HttpError) return plain(e.statusCode, e.message);
  if (e instanceof ConnectionError) {
    switch (e.reason) {
      case 'timeout':
        return plain(504, `the switch did not answer in time: ${e.message}`);
      case 'send-queue-full':
      case 'too-many-requests':
        return plain(503, e.message);
      default:
        return plain(502, `the switch connection failed: ${e.message}`);
    }
  }
  return undefined;
}
