// Small pure parts: the static app's flow file, the HTTP status of each OpenFlow error,
// openflow.h's names of errors, and the answers to connection failures.

import { ERROR_CODES, OFPET, OFPFC, errorCode, type ErrorTypeName } from '@rumpflow/openflow';
import { ConnectionError, OfpRemoteError } from '@rumpflow/openflow-connection';
import { describe, expect, it } from 'vitest';
import { ofpErrorNames } from '@rumpflow/openflow';
import { HttpError, errorReplyOf, httpStatusOf } from '../src/api/errors.js';
import { parseFlowFile } from '../src/apps/static.js';
import { RyuValueError } from '../src/ryu/ints.js';

describe("the static app's flow file", () => {
  it('reads comments, continued lines and command words as ovs-ofctl add-flows does', () => {
    const flows = parseFlowFile(
      [
        '# comment',
        '',
        'priority=10,in_port=1,actions=output:2   # trailing comment',
        'add priority=20,\\',
        '    ip,nw_dst=10.0.0.1,actions=drop',
        'delete_strict priority=30,in_port=3',
        'modify cookie=0x1/0xff,actions=output:3',
      ].join('\n'),
      'flows.txt',
    );
    expect(flows.map((f) => [f.line, f.flowMod.command, f.flowMod.priority])).toEqual([
      [3, OFPFC.ADD, 10],
      [4, OFPFC.ADD, 20],
      [6, OFPFC.DELETE_STRICT, 30],
      [7, OFPFC.MODIFY, 32768],
    ]);
    expect(flows[1]?.flowMod.match).toEqual([
      { field: 'ETH_TYPE', value: 0x0800 },
      { field: 'IPV4_DST', value: '10.0.0.1' },
    ]);
    expect(flows[3]?.flowMod).toMatchObject({ cookie: 1n, cookieMask: 0xffn });
  });

  it('names the file and line of a flow it refuses', () => {
    expect(() => parseFlowFile('priority=1,actions=drop\n\nnw_dst=10.0.0.1,actions=drop\n', 'f.txt')).toThrow(
      /^f\.txt:3: /,
    );
    expect(() => parseFlowFile('priority=1,actions=teleport\n', 'f.txt')).toThrow(/f\.txt:1: /);
  });
});

describe('OpenFlow errors as HTTP answers', () => {
  const status = <T extends ErrorTypeName>(type: T, code: (typeof ERROR_CODES)[T][number]) =>
    httpStatusOf(OFPET[type], errorCode(type, code));

  it('maps each kind of refusal to its status', () => {
    expect(status('BAD_MATCH', 'BAD_PREREQ')).toBe(400);
    expect(status('BAD_ACTION', 'BAD_OUT_PORT')).toBe(400);
    expect(status('FLOW_MOD_FAILED', 'BAD_TABLE_ID')).toBe(400);
    expect(status('BAD_REQUEST', 'EPERM')).toBe(403);
    expect(status('BAD_REQUEST', 'IS_SLAVE')).toBe(403);
    expect(status('GROUP_MOD_FAILED', 'UNKNOWN_GROUP')).toBe(404);
    expect(status('METER_MOD_FAILED', 'UNKNOWN_METER')).toBe(404);
    expect(status('GROUP_MOD_FAILED', 'GROUP_EXISTS')).toBe(409);
    expect(status('FLOW_MOD_FAILED', 'OVERLAP')).toBe(409);
    expect(status('ROLE_REQUEST_FAILED', 'STALE')).toBe(409);
    expect(status('BAD_REQUEST', 'BAD_MULTIPART')).toBe(501);
    expect(status('BAD_INSTRUCTION', 'UNSUP_INST')).toBe(501);
    expect(status('GROUP_MOD_FAILED', 'WEIGHT_UNSUPPORTED')).toBe(501);
    expect(status('HELLO_FAILED', 'INCOMPATIBLE')).toBe(502);
    expect(status('FLOW_MOD_FAILED', 'TABLE_FULL')).toBe(507);
    expect(status('METER_MOD_FAILED', 'OUT_OF_METERS')).toBe(507);
    expect(httpStatusOf(OFPET.EXPERIMENTER, 7)).toBe(400);
  });

  it('names errors as openflow.h does, for every type and code', () => {
    expect(ofpErrorNames(OFPET.BAD_MATCH, 9)).toEqual({ type: 'OFPET_BAD_MATCH', code: 'OFPBMC_BAD_PREREQ' });
    expect(ofpErrorNames(OFPET.FLOW_MOD_FAILED, 1)).toEqual({
      type: 'OFPET_FLOW_MOD_FAILED',
      code: 'OFPFMFC_TABLE_FULL',
    });
    expect(ofpErrorNames(OFPET.TABLE_FEATURES_FAILED, 5)).toEqual({
      type: 'OFPET_TABLE_FEATURES_FAILED',
      code: 'OFPTFFC_EPERM',
    });
    expect(ofpErrorNames(99, 1)).toEqual({ type: 'OFPET_type99', code: 'code1' });
    for (const [type, codes] of Object.entries(ERROR_CODES)) {
      codes.forEach((_c, i) =>
        expect(ofpErrorNames(OFPET[type as ErrorTypeName], i).code).toMatch(/^OFP[A-Z]+C_[A-Z_]+$/),
      );
    }
  });

  it('answers connection failures and bad values', () => {
    const remote = new OfpRemoteError({
      type: 'ERROR',
      xid: 1,
      errType: OFPET.BAD_ACTION,
      code: 4,
      data: new Uint8Array(0),
    });
    expect(errorReplyOf(remote)).toEqual({
      status: 400,
      body: {
        error: 'OFPET_BAD_ACTION',
        code: 'OFPBAC_BAD_OUT_PORT',
        message: expect.any(String),
        error_type: 2,
        error_code: 4,
      },
    });
    expect(errorReplyOf(new ConnectionError('timeout', 'x'))?.status).toBe(504);
    expect(errorReplyOf(new ConnectionError('closed', 'x'))?.status).toBe(502);
    expect(errorReplyOf(new ConnectionError('send-queue-full', 'x'))?.status).toBe(503);
    expect(errorReplyOf(new RyuValueError('bad'))).toEqual({
      status: 400,
      body: { error: 'Bad Request', message: 'bad' },
    });
    expect(errorReplyOf(new HttpError(404, 'gone'))).toEqual({
      status: 404,
      body: { error: 'Not Found', message: 'gone' },
    });
    expect(errorReplyOf(new Error('other'))).toBeUndefined();
  });
});
