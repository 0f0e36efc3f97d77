// The alternative to the kevent multiplexer: every device fd is blocking and has one read(2)
// in flight at all times (rumpclient lets any number of calls wait on one connection), so a
// device's bytes come back as that read's reply with no readiness round trip first. A read
// is not issued while the session's client is backed up; writes block in the kernel while
// the device's queue is full, so EAGAIN never happens.

import { O, type RumpClient } from '@rumpflow/rumpclient';
import { type DeviceIo, type DeviceUser, READ_MAX } from './device-io.js';

export class BlockingReader implements DeviceIo {
  readonly mode = 'blocking';
  readonly openFlags = O.RDWR;
  // the device serves a channel's writes in the order they were made, each taken whole
  readonly writesInFlight = 8;
  wakeups = 0;
  private readonly users = new Set<DeviceUser>();
  private readonly reading = new Set<DeviceUser>();

  constructor(readonly client: RumpClient) {}

  async start(): Promise<void> {}

  attach(user: DeviceUser): void {
    this.users.add(user);
    this.resumeReading(user);
  }

  detach(user: DeviceUser): void {
    this.users.delete(user);
  }

  pauseReading(): void {
    // the loop checks readPaused before each read
  }

  resumeReading(user: DeviceUser): void {
    if (this.users.has(user) && !this.reading.has(user)) void this.loop(user);
  }

  writable(): Promise<void> {
    // blocking writes wait in the kernel; nothing to wait for here
    return Promise.resolve();
  }

  stop(): void {
    this.users.clear();
  }

  private async loop(user: DeviceUser): Promise<void> {
    this.reading.add(user);
    try {
      while (this.users.has(user) && !user.readPaused) {
        let bytes: Uint8Array;
        try {
          bytes = await this.client.read(user.fd, READ_MAX, { signal: user.signal });
        } catch (e) {
          if (!user.signal.aborted && this.users.has(user)) user.deviceError(e as Error);
          return;
        }
        this.wakeups++;
        if (!this.users.has(user)) return;
        if (bytes.length === 0) {
          user.deviceEnd();
          return;
        }
        user.fromDevice(bytes);
      }
    } finally {
      this.reading.delete(user);
    }
  }
}
