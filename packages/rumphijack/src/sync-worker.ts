// The worker thread behind synchronous calls (sync.ts): it joins the hijacked program's rump
// process on a connection of its own and runs each call it is handed, answering on a
// MessagePort and waking the blocked main thread through Atomics. It handles one call at a
// time (the main thread is blocked while one is out), so nothing here queues.

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { RumpClient, SyscallError } from '@rumpflow/rumpclient';
import type { SyscallName, Value } from '@rumpflow/sysproxy';

export interface SyncWorkerData {
  readonly url: string;
  readonly token?: string;
  readonly flag: SharedArrayBuffer;
  readonly port: MessagePort;
  /** The process to join first. */
  readonly pid: number;
  readonly secret: Uint8Array;
}

export interface SyncRequest {
  readonly pid: number;
  readonly secret: Uint8Array;
  readonly name: SyscallName;
  readonly args: readonly Value[];
}

export type SyncAnswer =
  | { readonly ok: true; readonly values: Value[] }
  | { readonly ok: false; readonly errno: number; readonly message: string };

const data = workerData as SyncWorkerData;
const flag = new Int32Array(data.flag);
let joined: { pid: number; client: RumpClient } | undefined;

async function clientFor(req: SyncRequest): Promise<RumpClient> {
  if (joined && joined.pid === req.pid && joined.client.connected) return joined.client;
  const old = joined;
  joined = undefined;
  if (old) void old.client.close();
  const client = await RumpClient.connect(data.url, {
    join: { pid: req.pid, secret: req.secret },
    token: data.token,
    env: {},
  });
  client.unref(); // the worker itself is unref'd; its socket must not hold the program either
  joined = { pid: req.pid, client };
  return client;
}

async function run(req: SyncRequest): Promise<SyncAnswer> {
  try {
    const client = await clientFor(req);
    return { ok: true, values: await client.syscall(req.name, req.args) };
  } catch (e) {
    if (e instanceof SyscallError) return { ok: false, errno: e.errno, message: e.message };
    return { ok: false, errno: 5 /* EIO */, message: e instanceof Error ? e.message : String(e) };
  }
}

// joined and listening: the main thread may block on us from now on
void clientFor({ pid: data.pid, secret: data.secret, name: 'getpid', args: [] }).then(
  () => parentPort?.postMessage('ready'),
  () => parentPort?.postMessage('ready'), // the first call will report the failure
);

parentPort?.on('message', (req: SyncRequest) => {
  void run(req).then((answer) => {
    data.port.postMessage(answer);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});
