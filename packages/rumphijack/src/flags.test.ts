import { constants } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { O } from '@rumpflow/rumpclient';
import { rumpOpenFlags } from './flags.js';
import { nodeError } from './errors.js';

describe('open flags', () => {
  it("Node's string flags as NetBSD's O_* values", () => {
    expect(rumpOpenFlags(undefined)).toBe(O.RDONLY);
    expect(rumpOpenFlags('r+')).toBe(O.RDWR);
    expect(rumpOpenFlags('w')).toBe(O.WRONLY | O.CREAT | O.TRUNC);
    expect(rumpOpenFlags('ax+')).toBe(O.RDWR | O.APPEND | O.CREAT | O.EXCL);
    expect(() => rumpOpenFlags('rw')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it("the host's numeric flags bit by bit; bits the kernel has no use for are dropped", () => {
    expect(rumpOpenFlags(constants.O_RDWR | constants.O_NONBLOCK)).toBe(O.RDWR | O.NONBLOCK);
    expect(
      rumpOpenFlags(constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL),
    ).toBe(O.WRONLY | O.APPEND | O.CREAT | O.EXCL);
    expect(rumpOpenFlags(constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_DIRECTORY)).toBe(
      O.DIRECTORY,
    );
  });
});

describe('errors', () => {
  it("are Node's: message, negative host errno, code, syscall, path", () => {
    const e = nodeError('ENOENT', 'open', '/rump/dev/x');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe("ENOENT: no such file or directory, open '/rump/dev/x'");
    expect(e).toMatchObject({
      code: 'ENOENT',
      errno: -os.constants.errno.ENOENT,
      syscall: 'open',
      path: '/rump/dev/x',
    });
    // a NetBSD-only name keeps its code, with NetBSD's number
    expect(nodeError('EAUTH', 'open', undefined, 80)).toMatchObject({ code: 'EAUTH', errno: -80 });
  });
});
