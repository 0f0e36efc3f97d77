// @rumpflow/rumphijack — NetBSD's librumphijack for Node programs. See README.md.
//
// `node --import @rumpflow/rumphijack app.js` (or `rumphijack app.js`, which sets NODE_OPTIONS):
// before the program runs, this module reads RUMPHIJACK and RUMPHIJACK_RETRYCONNECT, connects
// to RUMP_SERVER as a new process of the rump kernel, and patches fs so that hijacked paths
// and fds go to the kernel. Worker threads of the program are left alone (they get only the
// exports); so is a second import.

import { isMainThread } from 'node:worker_threads';
import { RumpClient } from '@rumpflow/rumpclient';
import {
  type HijackConfig,
  HijackConfigError,
  inapplicableKeys,
  parseRetryConnect,
  parseRumphijack,
} from './config.js';
import { fromRump } from './errors.js';
import { Hijack } from './hijack.js';
import { patchFs } from './patch-fs.js';
import { hostFds, installed, setInstalled } from './state.js';
import { SyncCaller } from './sync.js';

export {
  DEFAULT_FDOFF,
  HijackConfigError,
  RUMPHIJACK_DEFAULT,
  type HijackConfig,
  type RetryConnect,
  type Route,
  inapplicableKeys,
  parseRetryConnect,
  parseRumphijack,
  routePath,
} from './config.js';
export { type WaitOptions, type WaitSource, waitAny } from './wait.js';

/** The hijack in force in this program, or undefined (not loaded as a loader, or a worker). */
export function hijackConfig(): HijackConfig | undefined {
  return installed()?.config;
}

/**
 * A pipe in the rump kernel (pipe2(2)), as two program fds [read end, write end]: Node has no
 * pipe(2) of its own, so a program that wants one in the kernel asks here, then uses plain fs
 * calls on the fds.
 */
export function pipe(): Promise<[number, number]> {
  const h = installed();
  if (!h) return Promise.reject(fromRump(new Error('not hijacked'), 'pipe'));
  return h.pipe();
}

const NOTED = 'RUMPHIJACK__NOTED';

function die(msg: string): never {
  process.stderr.write(`rumphijack: ${msg}\n`);
  process.exit(1);
}

async function install(): Promise<void> {
  const env = process.env;
  let config: HijackConfig;
  let retry;
  try {
    config = parseRumphijack(env.RUMPHIJACK);
    retry = parseRetryConnect(env.RUMPHIJACK_RETRYCONNECT);
  } catch (e) {
    if (e instanceof HijackConfigError) die(e.message);
    throw e;
  }
  // once per program tree: children inherit the environment and the notice with it
  if (env.RUMPHIJACK !== undefined && env[NOTED] === undefined) {
    const na = inapplicableKeys(config);
    if (na.length > 0) {
      process.stderr.write(
        `rumphijack: ${na.join(', ')}: not applicable to a Node program (fs has no socket, vfs, sysctl or modctl calls); accepted and ignored\n`,
      );
    }
    env[NOTED] = '1';
  }
  let client: RumpClient;
  try {
    client = await RumpClient.connect(undefined, { retry: retry.policy });
  } catch (e) {
    die(`rumpclient init: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (retry.die) {
    // RUMPCLIENT_RETRYCONN_DIE
    client.on('close', (err) => {
      if (err) die(`lost connection to the rump kernel (${err.message}), dying`);
    });
  }
  const sync = new SyncCaller(client, env.RUMP_AUTH_TOKEN);
  await sync.prepare();
  const h = new Hijack(client, config, sync);
  patchFs(h, hostFds);
  setInstalled(h);
}

if (isMainThread && !installed()) await install();
