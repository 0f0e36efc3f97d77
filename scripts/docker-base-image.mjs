#!/usr/bin/env node
// Make sure the local base image (node:20-bookworm-slim, or NODE_IMAGE) lets a non-root user
// run node. Every rumpflow image runs as uid 10001, so the image's root directory must be
// searchable by others. A base image seeded from a rootfs made with `mktemp -d` (as the
// debootstrap seeding in ../shared/tools/docker-engine.sh does) carries a mode-0700 `/`, and
// every container then fails with `exec: "node": executable file not found` (exit 127). A
// `RUN chmod 755 /` in a Dockerfile cannot fix that: a layer diff never records `/` itself.
// The repair re-imports the image's own filesystem (docker export of a stopped container,
// which writes `/` as 0755) under the same tag, keeping its ENV, WORKDIR, ENTRYPOINT and CMD.
// Images pulled from a registry pass the check and are left alone.
//   node scripts/docker-base-image.mjs [IMAGE]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const UID = '10001';

function docker(args, opts = {}) {
  const r = spawnSync('docker', args, { encoding: 'utf8', maxBuffer: 1 << 20, ...opts });
  if (r.error) throw r.error;
  return r;
}

/** True when a non-root user can start node in `image`. */
function nonRootCanRunNode(image) {
  return docker(['run', '--rm', '--user', UID, '--entrypoint', 'node', image, '-e', '0']).status === 0;
}

/** The `docker import -c` changes that restore the image's runtime configuration. */
function configChanges(image) {
  const r = docker(['image', 'inspect', '--format', '{{json .Config}}', image]);
  if (r.status !== 0) throw new Error(`docker image inspect ${image}: ${r.stderr.trim()}`);
  const config = JSON.parse(r.stdout);
  const changes = [];
  for (const env of config.Env ?? []) {
    const eq = env.indexOf('=');
    changes.push(`ENV ${env.slice(0, eq)}=${JSON.stringify(env.slice(eq + 1))}`);
  }
  if (config.WorkingDir) changes.push(`WORKDIR ${config.WorkingDir}`);
  if (config.User) changes.push(`USER ${config.User}`);
  if (config.Entrypoint?.length) changes.push(`ENTRYPOINT ${JSON.stringify(config.Entrypoint)}`);
  if (config.Cmd?.length) changes.push(`CMD ${JSON.stringify(config.Cmd)}`);
  return changes;
}

function repair(image) {
  const changes = configChanges(image);
  const created = docker(['create', image, 'true']);
  if (created.status !== 0) throw new Error(`docker create ${image}: ${created.stderr.trim()}`);
  const container = created.stdout.trim();
  try {
    // export | import, streamed through the shell so the filesystem never sits in memory
    const importArgs = changes.flatMap((c) => ['-c', c]);
    const quoted = ['docker', 'import', ...importArgs, '-', image].map(
      (a) => `'${a.replaceAll("'", `'\\''`)}'`,
    );
    const r = spawnSync('sh', ['-c', `docker export ${container} | ${quoted.join(' ')}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (r.status !== 0) throw new Error(`re-importing ${image} failed`);
  } finally {
    docker(['rm', container]);
  }
}

/** Checks the base image and repairs it when needed; throws when it cannot be made usable. */
export function ensureBaseImage(
  image = process.env.NODE_IMAGE ?? 'node:20-bookworm-slim',
  log = console.log,
) {
  if (docker(['image', 'inspect', image], { stdio: 'ignore' }).status !== 0) {
    log(`[base-image] ${image} is not present locally; docker build will pull it`);
    return;
  }
  if (nonRootCanRunNode(image)) return;
  log(
    `[base-image] ${image}: a non-root user cannot run node (root directory not searchable); re-importing it`,
  );
  repair(image);
  if (!nonRootCanRunNode(image)) throw new Error(`${image} still cannot run node as uid ${UID}`);
  log(`[base-image] ${image} repaired`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensureBaseImage(process.argv[2]);
  } catch (e) {
    console.error(`[base-image] ${e.message}`);
    process.exit(1);
  }
}
