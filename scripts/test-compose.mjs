#!/usr/bin/env node
// npm run test:compose: `docker compose up` for real. Builds and starts compose.yaml, waits
// until ofc's REST API shows switch 1 with learned flows that carry the hostsims' pings (a
// flow to each hostsim's MAC with packets counted) and both hostsims report answered pings,
// then tears everything down (volumes too). Uses `docker compose` when present, else
// Debian's `docker-compose` 1.29. Not part of `npm test`. Exit 0 on success.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBaseImage } from './docker-base-image.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT_MS = Number(process.env.COMPOSE_TIMEOUT ?? 900) * 1000;
const PROJECT = process.env.COMPOSE_PROJECT_NAME ?? 'rumpflow-test';
const HOSTS = [
  { name: 'hostsim1', mac: '02:00:0a:00:00:01', admin: 'http://127.0.0.1:9201' },
  { name: 'hostsim2', mac: '02:00:0a:00:00:02', admin: 'http://127.0.0.1:9202' },
];
const API = 'http://127.0.0.1:8080';

const composeCmd = (() => {
  const v2 = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' });
  return v2.status === 0 ? ['docker', 'compose'] : ['docker-compose'];
})();

function compose(args, opts = {}) {
  const [cmd, ...pre] = composeCmd;
  const r = spawnSync(cmd, [...pre, '-p', PROJECT, ...args], { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status;
}

async function json(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

/** What is still missing, or undefined when the pings are carried by learned flows. */
async function missing() {
  const switches = await json(`${API}/stats/switches`);
  if (!switches.map(String).includes('1')) return `ofc knows switches ${JSON.stringify(switches)}, not 1`;
  const flows = (await json(`${API}/stats/flow/1`))['1'] ?? [];
  for (const h of HOSTS) {
    const f = flows.find((x) => (x.match?.dl_dst ?? x.match?.eth_dst) === h.mac && x.packet_count > 0);
    if (!f) return `no learned flow to ${h.name} (${h.mac}) with packets yet (${flows.length} flows)`;
  }
  for (const h of HOSTS) {
    const s = await json(`${h.admin}/v1/stats`);
    const replies = s.peers.reduce((n, p) => n + p.pingReplies, 0);
    if (replies < 5) return `${h.name} has ${replies} answered pings`;
  }
  return undefined;
}

let code = 1;
const started = Date.now();
try {
  ensureBaseImage();
  console.log(`[test:compose] ${composeCmd.join(' ')} up -d --build (project ${PROJECT})`);
  if (compose(['up', '-d', '--build']) !== 0) throw new Error('compose up failed');
  let last = '';
  for (;;) {
    let why;
    try {
      why = await missing();
    } catch (e) {
      why = e.message;
    }
    if (why === undefined) break;
    if (why !== last) console.log(`[test:compose] waiting: ${why}`);
    last = why;
    if (Date.now() - started > TIMEOUT_MS) throw new Error(`timed out: ${why}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const flows = (await json(`${API}/stats/flow/1`))['1'];
  for (const f of flows)
    console.log(
      `[test:compose] flow priority=${f.priority} ${JSON.stringify(f.match)} packets=${f.packet_count}`,
    );
  for (const h of HOSTS) {
    const s = await json(`${h.admin}/v1/stats`);
    for (const p of s.peers)
      console.log(
        `[test:compose] ${h.name} -> ${p.ip}: ${p.pingReplies}/${p.pingsSent} answered, rtt p50 ${p.rttMs?.p50.toFixed(2)} ms`,
      );
  }
  console.log(`[test:compose] OK in ${Math.round((Date.now() - started) / 1000)} s`);
  code = 0;
} catch (e) {
  console.error(`[test:compose] FAILED: ${e.message}`);
  compose(['ps']);
  compose(['logs', '--tail', '40']);
} finally {
  compose(['down', '-v', '--remove-orphans']);
}
process.exit(code);
