import { describe, expect, it } from 'vitest';
import { hijackNodeOptions, main } from './main.js';

function capture() {
  const err: string[] = [];
  return { io: { err: (t: string) => void err.push(t) }, err };
}

describe('NODE_OPTIONS', () => {
  it("appends the loader's absolute path to the caller's options, as env LD_PRELOAD=... does", () => {
    expect(hijackNodeOptions(undefined, 'file:///opt/rumpflow/packages/rumphijack/dist/index.js')).toBe(
      '--import=/opt/rumpflow/packages/rumphijack/dist/index.js',
    );
    expect(hijackNodeOptions(' --max-old-space-size=64 ', 'file:///a%20b/dist/index.js')).toBe(
      '--max-old-space-size=64 --import="/a b/dist/index.js"',
    );
  });

  it('from TypeScript sources: the condition, tsx, and the plain-JS dev loader', () => {
    expect(
      hijackNodeOptions(
        '',
        'file:///w/packages/rumphijack/src/index.ts',
        'file:///w/node_modules/tsx/dist/loader.mjs',
      ),
    ).toBe(
      '--conditions=@rumpflow/source --import=/w/node_modules/tsx/dist/loader.mjs --import=/w/packages/rumphijack/dev-loader.mjs',
    );
  });
});

describe('rumphijack', () => {
  it('needs a command; refuses options it does not know', async () => {
    const a = capture();
    expect(await main([], {}, a.io)).toBe(2);
    expect(a.err.join('')).toContain('usage: rumphijack [--] COMMAND');
    const b = capture();
    expect(await main(['--frobnicate', 'node'], {}, b.io)).toBe(2);
    expect(b.err.join('')).toContain('unknown option --frobnicate');
  });

  it('checks RUMPHIJACK before running anything: a key NetBSD does not have is named', async () => {
    const c = capture();
    expect(
      await main(['--', 'node', '-e', 'process.exit(7)'], { RUMPHIJACK: 'path=/rump,sockets=all' }, c.io),
    ).toBe(1);
    expect(c.err.join('')).toBe(
      'rumphijack: RUMPHIJACK: unknown key "sockets" (NetBSD\'s keys: path, blanket, fdoff, socket, vfs, sysctl, modctl)\n',
    );
    const d = capture();
    expect(await main(['node'], { RUMPHIJACK_RETRYCONNECT: '0' }, d.io)).toBe(1);
    expect(d.err.join('')).toContain('got: 0');
  });

  it('a command that does not exist is 127, as a shell says', async () => {
    const c = capture();
    expect(await main(['/nonexistent/rumphijack-test-command'], { PATH: process.env.PATH }, c.io)).toBe(127);
    expect(c.err.join('')).toContain('command not found');
  });
});
