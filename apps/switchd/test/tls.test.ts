// TLS both ways with a throwaway CA made by openssl: switchd connects to a tls: controller
// and serves a pssl: listener that ovs-ofctl reaches over ssl:, each side checking the other's
// certificate against the CA.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAllServices,
  requireOvsOfctl,
  type ServiceProcess,
  warnSkipped,
  which,
} from '@rumpflow/test-tools';
import { DatapathServer, TestController } from '@rumpflow/switchd-core/testing';
import { freePort, run, startSwitchd, writeConf } from './helpers.js';

const haveOpenssl = which('openssl') !== undefined;
if (!haveOpenssl)
  warnSkipped(
    'apps/switchd/test/tls.test.ts',
    '`openssl` is not installed',
    ['switchd over TLS (tls: controllers, pssl: listeners) is NOT being tested (those tests are SKIPPED).'],
    ['Install it with:  DEBIAN_FRONTEND=noninteractive apt-get install -y openssl'],
  );

describe.skipIf(!haveOpenssl)('switchd over TLS', () => {
  let dir: string;
  let dp: DatapathServer;
  let ctl: TestController;
  let sd: ServiceProcess;
  let pssl: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchd-tls-'));
    const sh = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    sh(
      'req',
      '-x509',
      ...ec,
      '-days',
      '1',
      '-subj',
      '/CN=switchd test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    );
    for (const who of ['controller', 'switchd', 'ofctl']) {
      sh('req', ...ec, '-subj', `/CN=${who}`, '-keyout', `${who}.key`, '-out', `${who}.csr`);
      writeFileSync(join(dir, `${who}.ext`), 'subjectAltName=IP:127.0.0.1\n');
      sh(
        'x509',
        '-req',
        '-in',
        `${who}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '1',
        '-extfile',
        `${who}.ext`,
        '-out',
        `${who}.crt`,
      );
    }
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    dp = await DatapathServer.start(join(dir, 'sw0.sock'));
    ctl = await TestController.start(0, {
      key: read('controller.key'),
      cert: read('controller.crt'),
      ca: read('ca.crt'),
    });
    pssl = await freePort();
    const conf = writeConf(join(dir, 'switchd.conf'), [
      `device "unix:${dp.path}" forward to tls:127.0.0.1:${ctl.port} forward to pssl:${pssl}`,
    ]);
    sd = startSwitchd([
      '-f',
      conf,
      '-s',
      join(dir, 'switchd.sock'),
      '--private-key',
      join(dir, 'switchd.key'),
      '--certificate',
      join(dir, 'switchd.crt'),
      '--ca-cert',
      join(dir, 'ca.crt'),
    ]);
    await sd.ready();
  }, 60_000);
  afterAll(async () => {
    await sd?.stop();
    await ctl?.close();
    await dp?.close();
    await killAllServices();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects to a tls: controller that checks its certificate', async () => {
    const c = await ctl.connection(0, 20_000);
    expect((await c.request({ type: 'FEATURES_REQUEST' })).datapathId).toBe(0xabcn);
  });

  it('serves pssl: to ovs-ofctl with a certificate from the CA, and refuses one without', async (ctx) => {
    const ovsOfctl = requireOvsOfctl('apps/switchd/test/tls.test.ts (pssl: listener)', [
      "switchd's pssl: listener is NOT being tested with ovs-ofctl over ssl: (that test is SKIPPED).",
    ]);
    if (ovsOfctl === undefined) return ctx.skip();
    const pki = [
      '--private-key',
      join(dir, 'ofctl.key'),
      '--certificate',
      join(dir, 'ofctl.crt'),
      '--ca-cert',
      join(dir, 'ca.crt'),
    ];
    const ok = await run('ovs-ofctl', ['-O', 'OpenFlow13', ...pki, 'show', `ssl:127.0.0.1:${pssl}`]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/dpid:0000000000000abc/);
    // a client certificate signed by nobody switchd knows
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=stranger',
        '-keyout',
        'stranger.key',
        '-out',
        'stranger.crt',
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    const bad = await run(
      'ovs-ofctl',
      [
        '-O',
        'OpenFlow13',
        '--private-key',
        join(dir, 'stranger.key'),
        '--certificate',
        join(dir, 'stranger.crt'),
        '--ca-cert',
        join(dir, 'ca.crt'),
        'show',
        `ssl:127.0.0.1:${pssl}`,
      ],
      10_000,
    );
    expect(bad.code).not.toBe(0);
  });
});
