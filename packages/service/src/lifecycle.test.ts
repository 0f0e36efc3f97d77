import { EventEmitter } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lifecycle, type Component } from './lifecycle.js';
import { createLogger } from './log.js';
import { listenUnix } from './unix-socket.js';

/** A process stand-in: signals are emitted on it, exit() is recorded. */
class FakeProcess extends EventEmitter {
  exitCode: number | string | undefined;
  exits: number[] = [];
  exit(code?: number): void {
    this.exits.push(code ?? 0);
  }
}

function setup(opts: { drainTimeoutMs?: number } = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const proc = new FakeProcess();
  const lifecycle = new Lifecycle({
    logger: createLogger({ name: 't', level: 'debug', destination }),
    process: proc,
    ...opts,
  });
  const events: string[] = [];
  const component = (name: string, extra: Partial<Component> = {}): Component => ({
    name,
    start: () => void events.push(`start ${name}`),
    stop: () => void events.push(`stop ${name}`),
    ...extra,
  });
  return { lifecycle, proc, events, component, lines, msgs: () => lines.map((l) => l['msg']) };
}

describe('Lifecycle', () => {
  it('starts in order, stops in reverse on SIGTERM, exits 0 and detaches', async () => {
    const { lifecycle, proc, events, component, msgs } = setup();
    lifecycle.add(component('kernel')).add(component('listener')).add(component('admin'));
    expect(lifecycle.healthCheck()).toEqual({ ok: false, detail: 'idle' });
    await lifecycle.start();
    expect(lifecycle.state).toBe('running');
    expect(lifecycle.healthCheck()).toEqual({ ok: true, detail: 'running' });
    expect(proc.listenerCount('SIGTERM')).toBe(1);
    expect(proc.listenerCount('SIGINT')).toBe(1);
    expect(lifecycle.signal.aborted).toBe(false);

    proc.emit('SIGTERM');
    expect(lifecycle.signal.aborted).toBe(true);
    expect(await lifecycle.done).toBe(0);
    expect(events).toEqual([
      'start kernel',
      'start listener',
      'start admin',
      'stop admin',
      'stop listener',
      'stop kernel',
    ]);
    expect(lifecycle.state).toBe('stopped');
    expect(proc.exitCode).toBe(0);
    expect(proc.exits).toEqual([]);
    expect(
      proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT') + proc.listenerCount('uncaughtException'),
    ).toBe(0);
    expect(msgs()).toEqual(expect.arrayContaining(['received SIGTERM', 'shutting down', 'stopped']));
  });

  it('SIGINT works the same', async () => {
    const { lifecycle, proc, component } = setup();
    lifecycle.add(component('a'));
    await lifecycle.start();
    proc.emit('SIGINT');
    expect(await lifecycle.done).toBe(0);
  });

  it('a second signal exits at once with 128 + signal number', async () => {
    const { lifecycle, proc, component, msgs } = setup();
    let release: () => void = () => undefined;
    let stopping: () => void = () => undefined;
    const stopCalled = new Promise<void>((resolve) => (stopping = resolve));
    lifecycle.add(
      component('slow', {
        stop: () =>
          new Promise<void>((resolve) => {
            release = resolve;
            stopping();
          }),
      }),
    );
    await lifecycle.start();
    proc.emit('SIGTERM');
    await stopCalled;
    proc.emit('SIGTERM');
    expect(proc.exits).toEqual([143]);
    expect(proc.exitCode).toBe(143);
    expect(msgs()).toContain('received SIGTERM again: exiting now');
    release();
    await lifecycle.done;

    const second = setup({ drainTimeoutMs: 20 });
    second.lifecycle.add(second.component('slow', { stop: () => new Promise<void>(() => undefined) }));
    await second.lifecycle.start();
    second.proc.emit('SIGINT');
    second.proc.emit('SIGINT');
    expect(second.proc.exits).toEqual([130]);
  });

  it('a failing start stops the components already started, in reverse, and exits 1', async () => {
    const { lifecycle, proc, events, component, lines } = setup();
    lifecycle.add(component('a')).add(component('b'));
    lifecycle.add(
      component('c', {
        start: () => {
          throw new Error('EADDRINUSE');
        },
      }),
    );
    lifecycle.add(component('d'));
    await expect(lifecycle.start()).rejects.toThrow('EADDRINUSE');
    expect(events).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(await lifecycle.done).toBe(1);
    expect(proc.exitCode).toBe(1);
    expect(lines.find((l) => l['msg'] === 'start-up failed: c')).toMatchObject({
      level: 60,
      component: 'c',
      err: { message: 'EADDRINUSE' },
    });
  });

  it('a signal during start-up stops what has started, including the component starting', async () => {
    const { lifecycle, proc, events, component } = setup();
    let finishStart: () => void = () => undefined;
    lifecycle.add(component('a'));
    lifecycle.add(
      component('b', {
        start: () =>
          new Promise<void>((resolve) => {
            events.push('start b');
            finishStart = resolve;
          }),
      }),
    );
    lifecycle.add(component('c'));
    const starting = lifecycle.start();
    await new Promise((r) => setImmediate(r));
    expect(lifecycle.state).toBe('starting');
    proc.emit('SIGTERM');
    finishStart();
    await starting;
    expect(await lifecycle.done).toBe(0);
    expect(events).toEqual(['start a', 'start b', 'stop b', 'stop a']);
  });

  it('a failing stop is logged, the rest still stop, exit code 1', async () => {
    const { lifecycle, events, component, lines } = setup();
    lifecycle.add(component('a'));
    lifecycle.add(
      component('b', {
        stop: () => {
          throw new Error('close failed');
        },
      }),
    );
    await lifecycle.start();
    expect(await lifecycle.shutdown('test')).toBe(1);
    expect(events).toEqual(['start a', 'start b', 'stop a']);
    expect(lines.find((l) => l['msg'] === 'stopping b failed')).toMatchObject({ level: 50 });
  });

  it('drain timeout: exits 1 and names the component that did not stop', async () => {
    const { lifecycle, proc, component, lines } = setup({ drainTimeoutMs: 10 });
    lifecycle.add(component('stuck', { stop: () => new Promise<void>(() => undefined) }));
    await lifecycle.start();
    proc.emit('SIGTERM');
    expect(await lifecycle.done).toBe(1);
    expect(proc.exits).toEqual([1]);
    expect(lines.find((l) => l['msg'] === 'drain timeout: stuck did not stop; exiting')).toMatchObject({
      level: 50,
      component: 'stuck',
    });
  });

  it('an uncaught exception or unhandled rejection is logged and shuts down with exit code 1', async () => {
    for (const event of ['uncaughtException', 'unhandledRejection']) {
      const { lifecycle, proc, events, component, lines } = setup();
      lifecycle.add(component('a'));
      await lifecycle.start();
      proc.emit(event, new Error(`oops ${event}`));
      expect(await lifecycle.done).toBe(1);
      expect(events).toEqual(['start a', 'stop a']);
      expect(proc.exitCode).toBe(1);
      expect(lines.find((l) => l['level'] === 60)).toMatchObject({ err: { message: `oops ${event}` } });
    }
  });

  it('shutdown() is idempotent and keeps the first non-zero exit code', async () => {
    const { lifecycle, component } = setup();
    lifecycle.add(component('a'));
    await lifecycle.start();
    const first = lifecycle.shutdown('x', 3);
    const second = lifecycle.shutdown('y', 4);
    expect(first).toBe(second);
    expect(await first).toBe(3);
    expect(() => lifecycle.add(component('late'))).toThrow(/while stopped/);
    await expect(lifecycle.start()).rejects.toThrow(/while stopped/);
  });

  describe('socket files', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rf-life-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('removes registered socket files even when the exit is forced', async () => {
      const { lifecycle, proc, component } = setup({ drainTimeoutMs: 20 });
      const server = createServer();
      const path = join(dir, 'x.sock');
      const listener = await listenUnix(server, path, 0o600);
      lifecycle.removeOnExit(path, listener.ino);
      lifecycle.add(component('hangs', { stop: () => new Promise<void>(() => undefined) }));
      await lifecycle.start();
      proc.emit('SIGTERM');
      await Promise.resolve();
      proc.emit('SIGTERM');
      expect(proc.exits).toEqual([143]);
      await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
      server.close();
    });
  });
});
