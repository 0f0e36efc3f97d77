// The device switch: character devices under /dev that drivers plug into. Each open() of
// a device gets its own FileObject from the driver, so a driver can give every opener its
// own channel (switch(4) gives each opener its own OpenFlow channel) and report readiness
// through the object's WaitChannel.

import { ERRNO } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import type { FileObject, Readiness } from './file.js';
import { WaitChannel } from './wait.js';

export interface OpenContext {
  readonly pid: number;
  /** O_* flags of the open. */
  readonly flags: number;
}

export interface Driver {
  /** A short description for listings ("null device", "OpenFlow switch 0"). */
  readonly description: string;
  open(ctx: OpenContext): FileObject;
}

export class DeviceSwitch {
  private readonly devices = new Map<string, Driver>();

  /** Make /dev/NAME. */
  register(name: string, driver: Driver): void {
    if (!/^[a-z][a-z0-9]*$/.test(name)) throw new Error(`bad device name ${name}`);
    if (this.devices.has(name)) throw new KernelError(ERRNO.EEXIST, `/dev/${name}`);
    this.devices.set(name, driver);
  }

  unregister(name: string): void {
    this.devices.delete(name);
  }

  /** The driver of a /dev path, or ENOENT. */
  lookup(path: string): Driver {
    const m = /^\/dev\/([a-z][a-z0-9]*)$/.exec(path);
    const d = m ? this.devices.get(m[1] as string) : undefined;
    if (!d) throw new KernelError(ERRNO.ENOENT, path);
    return d;
  }

  list(): { path: string; description: string }[] {
    return [...this.devices.entries()].map(([n, d]) => ({ path: `/dev/${n}`, description: d.description }));
  }
}

const ALWAYS: Readiness = { readable: 0, writable: 0x7fffffff, eof: true, hangup: false };

/** /dev/null: reads end at once, writes vanish. */
export const nullDriver: Driver = {
  description: 'null device',
  open: () => ({
    kind: 'vnode',
    name: '/dev/null',
    channel: new WaitChannel(),
    readiness: () => ALWAYS,
    read: () => new Uint8Array(0),
    write: (data) => data.length,
    close: () => undefined,
  }),
};

/** /dev/zero: reads give zeros, writes vanish. */
export const zeroDriver: Driver = {
  description: 'zero device',
  open: () => ({
    kind: 'vnode',
    name: '/dev/zero',
    channel: new WaitChannel(),
    readiness: () => ({ readable: 0x7fffffff, writable: 0x7fffffff, eof: false, hangup: false }),
    read: (n) => new Uint8Array(n),
    write: (data) => data.length,
    close: () => undefined,
  }),
};
