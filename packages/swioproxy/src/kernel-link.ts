// The connection to the rump kernel (RUMP_SERVER): connect, and after any loss connect again
// with the shared backoff, for as long as the proxy runs. rumpclient's own retry policy is
// not used: its first connection is not retried (the kernel may start after us), and after a
// loss every fd is gone anyway, so the proxy wants to hear of the loss and rebuild.

import { EventEmitter } from 'node:events';
import { backoffDelay, type BackoffOptions } from '@rumpflow/endpoint';
import { DEFAULT_BACKOFF, RumpClient, type ConnectOptions } from '@rumpflow/rumpclient';

export interface KernelLinkEvents {
  /** Connected (again): a new process in the kernel. */
  up: [client: RumpClient];
  /** The connection is lost; every fd of the old process is gone. */
  down: [error: Error | undefined];
  /** An attempt failed; the next one is `delayMs` away. */
  retry: [error: Error, delayMs: number];
}

export interface KernelLinkOptions {
  /** unix:///path or tcp://host:port. */
  readonly url: string;
  readonly backoff?: BackoffOptions;
  /** Passed to RumpClient.connect (program name, token). */
  readonly connect?: Omit<ConnectOptions, 'retry'>;
}

export class KernelLink extends EventEmitter<KernelLinkEvents> {
  client: RumpClient | undefined;
  /** Successful connections after the first. */
  reconnects = 0;
  /** Failed attempts since the last success. */
  failures = 0;
  lastError: Error | undefined;
  private everUp = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: KernelLinkOptions) {
    super();
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  start(): void {
    void this.attempt();
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) return;
    let client: RumpClient;
    try {
      client = await RumpClient.connect(this.opts.url, { ...this.opts.connect, retry: 'never' });
    } catch (e) {
      const err = e as Error;
      this.lastError = err;
      const delay = backoffDelay(this.failures++, this.opts.backoff, DEFAULT_BACKOFF);
      this.emit('retry', err, delay);
      if (!this.stopped) this.timer = setTimeout(() => void this.attempt(), delay);
      return;
    }
    if (this.stopped) {
      await client.close();
      return;
    }
    this.failures = 0;
    if (this.everUp) this.reconnects++;
    this.everUp = true;
    this.client = client;
    client.once('close', (error) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.lastError = error;
      this.emit('down', error);
      // the first attempt after a loss is immediate, as rumpclient's own policy does it
      if (!this.stopped) this.timer = setTimeout(() => void this.attempt(), 0);
    });
    this.emit('up', client);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    await c?.close();
  }
}
