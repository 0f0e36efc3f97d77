import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UsageError,
  camelCase,
  checkTable,
  configJsonSchema,
  defineOptions,
  formatHelp,
  formatUsage,
  parseCommandLine,
  type CommandSpec,
  type ConfigOf,
} from './cli.js';

const options = defineOptions({
  help: { type: 'boolean', short: 'h', description: 'Show this help', configKey: false },
  config: {
    type: 'string',
    valueName: 'FILE',
    description: 'Config file',
    configKey: false,
    env: 'DEMO_CONFIG',
  },
  server: {
    type: 'string',
    description: 'Rump kernel URL',
    env: 'RUMP_SERVER',
    default: 'unix:///tmp/rump.sock',
  },
  listen: {
    type: 'string[]',
    short: 'l',
    valueName: 'PATH',
    description: 'Socket to serve',
    env: 'DEMO_LISTEN',
  },
  port: { type: 'number', description: 'TCP port', default: 6653, env: 'DEMO_PORT' },
  verbose: { type: 'boolean', short: 'v', description: 'Say more', env: 'DEMO_VERBOSE' },
  'log-level': {
    type: 'string',
    description: 'Log level',
    default: 'info',
    choices: ['debug', 'info', 'warn'],
    configKey: 'logLevel',
  },
  'fail-mode': { type: 'string', description: 'Fail mode', choices: ['secure', 'standalone'] },
});

const spec: CommandSpec<typeof options> = {
  name: 'demo',
  summary: 'A demo daemon.',
  options,
  positionals: { name: 'URL', description: 'listener URLs', min: 0 },
};

async function parse(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) {
  const result = await parseCommandLine(spec, {
    argv,
    env,
    readFile: async (p) => {
      const text = files[p];
      if (text === undefined)
        throw Object.assign(new Error(`ENOENT: no such file, open '${p}'`), { code: 'ENOENT' });
      return text;
    },
  });
  if (result.help) throw new Error('unexpected help');
  return result;
}

async function usageError(
  argv: string[],
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): Promise<string> {
  try {
    await parse(argv, env, files);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return (err as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('flags', () => {
  it('gives defaults, camelCase keys and typed values', async () => {
    const r = await parse([]);
    const values: ConfigOf<typeof options> = r.values;
    expect(values).toEqual({
      help: false,
      config: undefined,
      server: 'unix:///tmp/rump.sock',
      listen: [],
      port: 6653,
      verbose: false,
      logLevel: 'info',
      failMode: undefined,
    });
    expect(r.sources.port).toBe('default');
    expect(r.positionals).toEqual([]);
  });

  it('parses long, inline, short, clustered, repeated and negated flags and positionals', async () => {
    const r = await parse([
      '--server=tcp://h:1',
      '-l',
      '/a.sock',
      '--listen',
      '/b.sock',
      '-l/c.sock',
      '--port',
      '7000',
      '-v',
      'unix:///x',
      '--no-verbose',
      '--',
      '--not-a-flag',
    ]);
    expect(r.values.server).toBe('tcp://h:1');
    expect(r.values.listen).toEqual(['/a.sock', '/b.sock', '/c.sock']);
    expect(r.values.port).toBe(7000);
    expect(r.values.verbose).toBe(false);
    expect(r.positionals).toEqual(['unix:///x', '--not-a-flag']);
    expect(r.sources.listen).toBe('flag');
  });

  it('accepts -vl PATH (booleans clustered before a value option)', async () => {
    const r = await parse(['-vl', '/a.sock']);
    expect(r.values.verbose).toBe(true);
    expect(r.values.listen).toEqual(['/a.sock']);
  });

  it('reports unknown options with a suggestion, missing values and bad numbers', async () => {
    expect(await usageError(['--lisen', 'x'])).toBe('unknown option --lisen (did you mean --listen?)');
    expect(await usageError(['-x'])).toBe('unknown option -x');
    expect(await usageError(['--port'])).toBe('option --port needs a value');
    expect(await usageError(['--port', 'eighty'])).toBe('option --port: "eighty" is not a number');
    expect(await usageError(['--verbose=yes'])).toMatch(/--verbose takes no value/);
    expect(await usageError(['--log-level', 'loud'])).toBe(
      'option --log-level: "loud" is not one of debug, info, warn',
    );
  });

  it('returns help for --help or -h even next to bad options, but not after --', async () => {
    expect(await parseCommandLine(spec, { argv: ['--bogus', '--help'] })).toEqual({ help: true });
    expect(await parseCommandLine(spec, { argv: ['-h'] })).toEqual({ help: true });
    const r = await parseCommandLine(spec, { argv: ['--', '--help'] });
    expect(r.help).toBe(false);
  });

  it('checks positional counts', async () => {
    const one: CommandSpec<typeof options> = {
      ...spec,
      positionals: { name: 'URL', description: 'u', min: 1, max: 2 },
    };
    await expect(parseCommandLine(one, { argv: [] })).rejects.toThrow('missing URL argument');
    await expect(parseCommandLine(one, { argv: ['a', 'b', 'c'] })).rejects.toThrow(
      'too many URL arguments (at most 2): unexpected "c"',
    );
    const none: CommandSpec<typeof options> = { name: 'demo', options };
    await expect(parseCommandLine(none, { argv: ['stray'] })).rejects.toThrow('unexpected argument "stray"');
  });

  it('runs the check hook and names the source', async () => {
    const checked = defineOptions({
      mode: {
        type: 'number',
        description: 'mode',
        env: 'MODE',
        check: (n) => (n > 0o777 ? 'must be at most 0777' : undefined),
      },
    });
    const s = { name: 'x', options: checked };
    await expect(parseCommandLine(s, { argv: ['--mode', '4096'] })).rejects.toThrow(
      'option --mode: must be at most 0777',
    );
    await expect(parseCommandLine(s, { argv: [], env: { MODE: '4096' } })).rejects.toThrow(
      'environment variable MODE: must be at most 0777',
    );
  });

  it('requires required options', async () => {
    const req = defineOptions({ device: { type: 'string', description: 'd', required: true, env: 'DEV' } });
    await expect(parseCommandLine({ name: 'x', options: req }, { argv: [] })).rejects.toThrow(
      'missing required option --device (or environment variable DEV or the config file)',
    );
  });
});

describe('environment', () => {
  it('is used when no flag is given, with types converted', async () => {
    const r = await parse([], {
      RUMP_SERVER: 'tcp://k:9',
      DEMO_PORT: '0x10',
      DEMO_VERBOSE: 'yes',
      DEMO_LISTEN: '/a, /b',
    });
    expect(r.values).toMatchObject({ server: 'tcp://k:9', port: 16, verbose: true, listen: ['/a', '/b'] });
    expect(r.sources).toMatchObject({
      server: 'env',
      port: 'env',
      verbose: 'env',
      listen: 'env',
      logLevel: 'default',
    });
  });

  it('treats empty variables as unset and rejects bad values naming the variable', async () => {
    expect((await parse([], { RUMP_SERVER: '' })).values.server).toBe('unix:///tmp/rump.sock');
    expect(await usageError([], { DEMO_PORT: 'x' })).toBe(
      'environment variable DEMO_PORT: "x" is not a number',
    );
    expect(await usageError([], { DEMO_VERBOSE: 'maybe' })).toMatch(
      /^environment variable DEMO_VERBOSE: "maybe" is not a boolean/,
    );
  });
});

describe('config file', () => {
  const yaml = [
    '# demo config',
    'server: tcp://from-file:1',
    'listen:',
    '  - /run/a.sock',
    '  - /run/b.sock',
    'port: 7001',
    'verbose: true',
    'logLevel: debug',
    '',
  ].join('\n');
  const json = JSON.stringify({ server: 'tcp://json:2', port: 7002, 'fail-mode': 'secure' });

  it('reads YAML and JSON by extension', async () => {
    const y = await parse(['--config', '/etc/demo.yaml'], {}, { '/etc/demo.yaml': yaml });
    expect(y.values).toMatchObject({
      server: 'tcp://from-file:1',
      listen: ['/run/a.sock', '/run/b.sock'],
      port: 7001,
      verbose: true,
      logLevel: 'debug',
    });
    expect(y.sources.server).toBe('config');
    expect(y.configFile).toBe('/etc/demo.yaml');
    const j = await parse(['--config=/etc/demo.json'], {}, { '/etc/demo.json': json });
    expect(j.values).toMatchObject({ server: 'tcp://json:2', port: 7002, failMode: 'secure' });
  });

  it('applies flags > environment > config file > defaults', async () => {
    const files = { '/c.yml': yaml };
    const r = await parse(
      ['--config', '/c.yml', '--port', '1'],
      { RUMP_SERVER: 'tcp://env:3', DEMO_PORT: '2' },
      files,
    );
    expect(r.values.port).toBe(1); // flag over env over file
    expect(r.values.server).toBe('tcp://env:3'); // env over file
    expect(r.values.listen).toEqual(['/run/a.sock', '/run/b.sock']); // file over default
    expect(r.values.failMode).toBeUndefined(); // nobody set it
    expect(r.sources).toMatchObject({ port: 'flag', server: 'env', listen: 'config', failMode: 'default' });
  });

  it('takes the config file name from its environment variable too', async () => {
    const r = await parse([], { DEMO_CONFIG: '/c.json' }, { '/c.json': json });
    expect(r.configFile).toBe('/c.json');
    expect(r.values.port).toBe(7002);
  });

  it('rejects unknown keys, wrong types and keys that are not settable from files, naming key and file', async () => {
    const files = {
      '/unknown.yaml': 'sever: x\n',
      '/type.yaml': 'port: "6653"\n',
      '/list.json': JSON.stringify({ listen: '/one.sock' }),
      '/items.json': JSON.stringify({ listen: ['/a', 3] }),
      '/bool.yaml': 'verbose: yes\n',
      '/flagname.yaml': 'log-level: debug\n',
      '/config.json': JSON.stringify({ config: '/other.json' }),
      '/choice.yaml': 'logLevel: loud\n',
    };
    expect(await usageError(['--config', '/unknown.yaml'], {}, files)).toBe(
      'config file /unknown.yaml: unknown key "sever" (did you mean server?)',
    );
    expect(await usageError(['--config', '/type.yaml'], {}, files)).toBe(
      'config file /type.yaml, key "port": expected a number, got the string "6653"',
    );
    expect(await usageError(['--config', '/list.json'], {}, files)).toBe(
      'config file /list.json, key "listen": expected a list of strings, got the string "/one.sock"',
    );
    expect(await usageError(['--config', '/items.json'], {}, files)).toMatch(
      /key "listen": expected a list of strings, got a list with non-string items/,
    );
    expect(await usageError(['--config', '/bool.yaml'], {}, files)).toBe(
      'config file /bool.yaml, key "verbose": expected true or false, got the string "yes"',
    );
    expect(await usageError(['--config', '/flagname.yaml'], {}, files)).toMatch(/unknown key "log-level"/);
    expect(await usageError(['--config', '/config.json'], {}, files)).toMatch(/unknown key "config"/);
    expect(await usageError(['--config', '/choice.yaml'], {}, files)).toBe(
      'config file /choice.yaml, key "logLevel": "loud" is not one of debug, info, warn',
    );
  });

  it('rejects unreadable files, bad syntax, non-mapping documents and unknown extensions', async () => {
    const files = {
      '/bad.json': '{ "port": ',
      '/bad.yaml': 'port: [1,\n',
      '/list.yaml': '- a\n- b\n',
      '/dup.yaml': 'port: 1\nport: 2\n',
      '/x.toml': '',
    };
    expect(await usageError(['--config', '/missing.yaml'], {}, files)).toMatch(
      /^cannot read config file \/missing.yaml: ENOENT/,
    );
    expect(await usageError(['--config', '/bad.json'], {}, files)).toMatch(/^config file \/bad.json: /);
    expect(await usageError(['--config', '/bad.yaml'], {}, files)).toMatch(/^config file \/bad.yaml: /);
    expect(await usageError(['--config', '/list.yaml'], {}, files)).toBe(
      'config file /list.yaml: expected a mapping of option names to values, got a list',
    );
    expect(await usageError(['--config', '/dup.yaml'], {}, files)).toMatch(
      /^config file \/dup.yaml: .*unique/i,
    );
    expect(await usageError(['--config', '/x.toml'], {}, files)).toBe(
      'config file /x.toml: unknown format ".toml" (use .json, .yaml or .yml)',
    );
  });

  it('accepts an empty YAML file', async () => {
    const r = await parse(['--config', '/empty.yaml'], {}, { '/empty.yaml': '# nothing\n' });
    expect(r.values.port).toBe(6653);
  });

  describe('on disk', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rumpflow-cli-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    it('reads the file with fs by default', async () => {
      const file = join(dir, 'demo.yaml');
      await writeFile(file, 'port: 9\nlisten: [/x.sock]\n');
      const r = await parseCommandLine(spec, { argv: ['--config', file], env: {} });
      expect(r.help === false && r.values).toMatchObject({ port: 9, listen: ['/x.sock'] });
    });
  });
});

describe('help', () => {
  it('shows usage, options with placeholders, defaults, env vars and config keys', () => {
    const text = formatHelp(spec);
    expect(text.split('\n')[0]).toBe('Usage: demo [options] [URL...]');
    expect(text).toContain('A demo daemon.');
    expect(text).toContain('Arguments:\n  URL  listener URLs');
    expect(text).toMatch(/-h, --help +Show this help/);
    expect(text).toMatch(/--config FILE +Config file\n +\[env: DEMO_CONFIG\]/);
    expect(text).toMatch(
      /--server SERVER +Rump kernel URL\n +\[default: unix:\/\/\/tmp\/rump.sock; env: RUMP_SERVER\]/,
    );
    expect(text).toMatch(/-l, --listen PATH +Socket to serve\n +\[repeatable; env: DEMO_LISTEN\]/);
    expect(text).toMatch(/--port N +TCP port\n +\[default: 6653; env: DEMO_PORT\]/);
    expect(text).toMatch(
      /--log-level LOG_LEVEL +Log level \(debug, info, warn\)\n +\[default: info; config key: logLevel\]/,
    );
    expect(text).toContain('flags, environment variables, the config file, defaults');
    expect(text).toContain('--config FILE, .json or .yaml/.yml');
  });

  it('writes the usage line from the positional spec', () => {
    expect(formatUsage({ name: 'a', options: {} })).toBe('Usage: a [options]');
    expect(
      formatUsage({ name: 'a', options: {}, positionals: { name: 'URL', description: '', min: 1 } }),
    ).toBe('Usage: a [options] URL...');
    expect(
      formatUsage({ name: 'a', options: {}, positionals: { name: 'CMD', description: '', min: 1, max: 1 } }),
    ).toBe('Usage: a [options] CMD');
  });
});

describe('JSON schema of the config file', () => {
  it('renders every file-settable option with type, default, enum and description', () => {
    const schema = configJsonSchema(spec, { id: 'https://example.invalid/demo.schema.json' });
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://example.invalid/demo.schema.json',
      title: 'demo config file',
      type: 'object',
      additionalProperties: false,
    });
    const props = schema['properties'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(props)).toEqual(['server', 'listen', 'port', 'verbose', 'logLevel', 'fail-mode']);
    expect(props['listen']).toEqual({
      description: 'Socket to serve (environment: DEMO_LISTEN) (flag: --listen)',
      type: 'array',
      items: { type: 'string' },
    });
    expect(props['port']).toMatchObject({ type: 'number', default: 6653 });
    expect(props['logLevel']).toMatchObject({
      type: 'string',
      enum: ['debug', 'info', 'warn'],
      default: 'info',
    });
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

describe('the table itself', () => {
  it('catches programming errors', () => {
    expect(() => checkTable({ Bad: { type: 'string', description: '' } })).toThrow(/kebab-case/);
    expect(() =>
      checkTable({
        a: { type: 'string', description: '', env: 'X' },
        b: { type: 'string', description: '', env: 'X' },
      }),
    ).toThrow(/X is used twice/);
    expect(() => checkTable({ a: { type: 'number', description: '', choices: ['1'] } })).toThrow(/choices/);
    expect(() => checkTable({ 'no-x': { type: 'boolean', description: '' } })).toThrow(/reserved/);
  });

  it('camelCases names', () => {
    expect(camelCase('log-level')).toBe('logLevel');
    expect(camelCase('a-b-c')).toBe('aBC');
  });
});
