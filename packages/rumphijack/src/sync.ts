// Synchronous rump calls (fs.readSync on a hijacked fd...): the main thread hands the call to
// a worker thread (sync-worker.ts) that has joined the same rump process on a second
// connection, then blocks in Atomics.wait until the answer is on a MessagePort, which it
// takes with receiveMessageOnPort. The second connection means a sync call never waits
// behind the program's async calls in flight on the first (a read blocked on a pipe).

import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { ERRNO, type RumpClient, SyscallError } from '@rumpflow/rumpclient';
import type { SyscallName, Value } from '@rumpflow/sysproxy';
import type { SyncAnswer, SyncRequest, SyncWorkerData } from './sync-worker.js';

/**
 * The worker: sync-worker.js next to this module when built. From TypeScript sources (a
 * checkout run through tsx) a worker thread does not inherit tsx's loader hooks, so a small
 * module registers them through tsx's API first and then imports sync-worker.ts.
 */
function workerOptions(): {
  readonly spec: string | URL;
  readonly eval: boolean;
  readonly execArgv: string[];
} {
  if (import.meta.url.endsWith('.ts')) {
    const api = import.meta.resolve('tsx/esm/api');
    const file = new URL('./sync-worker.ts', import.meta.url).href;
    return {
      spec: `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(file)});`,
      eval: true,
      execArgv: ['--conditions=@rumpflow/source'],
    };
  }
  return { spec: new URL('./sync-worker.js', import.meta.url), eval: false, execArgv: [] };
}

export class SyncCaller {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly client: RumpClient,
    private readonly token?: string,
  ) {}

  /** Run one syscall on the joined connection, blocking this thread until it answers. */
  call(name: SyscallName, args: readonly Value[]): Value[] {
    if (!this.client.connected)
      throw new SyscallError(ERRNO.ENOTCONN, name, 'not connected to the rump kernel');
    const worker = this.start();
    const req: SyncRequest = { pid: this.client.pid, secret: this.client.secret, name, args };
    Atomics.store(this.flag, 0, 0);
    worker.postMessage(req);
    Atomics.wait(this.flag, 0, 0);
    const got = receiveMessageOnPort(this.port as MessagePort);
    if (!got) throw new SyscallError(ERRNO.EIO, name, 'sync worker gave no answer');
    const answer = got.message as SyncAnswer;
    if (!answer.ok) throw new SyscallError(answer.errno, name, answer.message);
    return answer.values;
  }

  /**
   * Start the worker and wait until it has joined: module loading in a new thread may need
   * this thread's loop (loader hooks), so it must not first happen inside a blocked call.
   */
  async prepare(): Promise<void> {
    const w = this.start();
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: unknown): void => {
        if (m === 'ready') {
          w.off('error', reject);
          w.off('message', onMessage);
          resolve();
        }
      };
      w.on('message', onMessage);
      w.once('error', reject);
    });
  }

  /** Stop the worker (the program is done with the kernel). */
  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.port?.close();
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const { port1, port2 } = new MessageChannel();
    const workerData: SyncWorkerData = {
      url: this.client.url,
      token: this.token,
      flag: this.flag.buffer as SharedArrayBuffer,
      port: port2,
      pid: this.client.pid,
      secret: this.client.secret,
    };
    const opts = workerOptions();
    const w = new Worker(opts.spec, {
      eval: opts.eval,
      execArgv: opts.execArgv,
      workerData,
      transferList: [port2],
    });
    w.unref(); // idle, it must not keep the program alive
    w.on('error', () => {
      // a dead worker is replaced at the next call
      if (this.worker === w) this.worker = undefined;
    });
    this.worker = w;
    this.port = port1;
    return w;
  }
}
