// Command line and config file, from one declarative option table.
//
// Each daemon declares its options once: name, type, description, default, environment
// variable and config-file key. From that table come the argv parser, the --help text,
// the validation of a JSON or YAML config file and a JSON schema of that file. A value
// is taken from, in order of precedence: flags > environment > config file > default.
// Every mistake is a UsageError whose message names the flag, variable or file key.

import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** A command line or config file the user got wrong; apps print the message and exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

export type OptionType = 'string' | 'number' | 'boolean' | 'string[]';

/** The TypeScript type of each option type's value. */
export interface OptionValueTypes {
  string: string;
  number: number;
  boolean: boolean;
  'string[]': string[];
}

interface OptionSpecOf<T extends OptionType> {
  readonly type: T;
  readonly description: string;
  readonly default?: OptionValueTypes[T];
  /** Environment variable read when no flag is given (e.g. RUMP_SERVER). */
  readonly env?: string;
  /** Key in the config file; defaults to the option name; false: not settable from a file. */
  readonly configKey?: string | false;
  /** One-letter alias: `-f FILE`. */
  readonly short?: string;
  /** Placeholder in --help: `--admin HOST:PORT`. */
  readonly valueName?: string;
  /** Allowed values (string and string[] options). */
  readonly choices?: readonly string[];
  /** Some source must set it. */
  readonly required?: boolean;
  /** Domain check of a value; returns an error message, or undefined when the value is fine. */
  readonly check?: (value: OptionValueTypes[T]) => string | undefined;
}

/** One option; the `type` ties `default` and `check` to the value type. */
export type OptionSpec = { [T in OptionType]: OptionSpecOf<T> }[OptionType];

/** An app's options, keyed by long name (kebab-case: `log-level`). */
export type OptionTable = { readonly [name: string]: OptionSpec };

/** `log-level` -> `logLevel`. */
export type CamelCase<S extends string> = S extends `${infer H}-${infer T}`
  ? `${H}${Capitalize<CamelCase<T>>}`
  : S;

type AlwaysSet = { default: unknown } | { required: true } | { type: 'boolean' } | { type: 'string[]' };

/** Parsed values of a table, keyed by camelCase name; optional options without default may be undefined. */
export type ConfigOf<O extends OptionTable> = {
  -readonly [K in keyof O & string as CamelCase<K>]: O[K] extends AlwaysSet
    ? OptionValueTypes[O[K]['type']]
    : OptionValueTypes[O[K]['type']] | undefined;
};

/** Where a value came from. */
export type ValueSource = 'flag' | 'env' | 'config' | 'default';

export interface PositionalSpec {
  /** Placeholder in usage and help: `URL`. */
  readonly name: string;
  readonly description: string;
  /** Fewest accepted (default 0). */
  readonly min?: number;
  /** Most accepted (default unlimited). */
  readonly max?: number;
}

export interface CommandSpec<O extends OptionTable = OptionTable> {
  /** Program name, as typed. */
  readonly name: string;
  /** One paragraph shown under the usage line. */
  readonly summary?: string;
  readonly options: O;
  /** Positional arguments; without this, any positional argument is an error. */
  readonly positionals?: PositionalSpec;
  /** Name of the option that names the config file (default `config` when the table has it). */
  readonly configOption?: string;
  /** Text at the end of --help. */
  readonly epilog?: string;
}

export type ParseResult<O extends OptionTable> =
  | { readonly help: true }
  | {
      readonly help: false;
      readonly values: ConfigOf<O>;
      readonly positionals: string[];
      /** Source of each value, by camelCase name. */
      readonly sources: { readonly [K in keyof ConfigOf<O>]: ValueSource };
      /** The config file read, if any. */
      readonly configFile: string | undefined;
    };

export interface ParseInput {
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads the config file (tests inject); default fs.readFile as UTF-8. */
  readonly readFile?: (path: string) => Promise<string>;
}

/** Identity with a const type parameter, so `type` literals survive: `defineOptions({ ... })`. */
export function defineOptions<const O extends OptionTable>(options: O): O {
  return options;
}

export function camelCase<S extends string>(name: S): CamelCase<S> {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()) as CamelCase<S>;
}

/** The key an option has in a config file, or undefined when it has none. */
export function configKeyOf(name: string, spec: OptionSpec): string | undefined {
  if (spec.configKey === false) return undefined;
  return spec.configKey ?? name;
}

/** Throws (a programming error, not a UsageError) when the table itself is inconsistent. */
export function checkTable(options: OptionTable): void {
  const shorts = new Set<string>();
  const envs = new Set<string>();
  const keys = new Set<string>();
  const camels = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name))
      throw new Error(`option name "${name}" must be kebab-case`);
    if (name.startsWith('no-'))
      throw new Error(`option name "${name}": "no-" is reserved for negating booleans`);
    const camel = camelCase(name);
    if (camels.has(camel)) throw new Error(`option "${name}" collides with another option`);
    camels.add(camel);
    if (spec.short !== undefined) {
      if (!/^[A-Za-z0-9]$/.test(spec.short))
        throw new Error(`option "${name}": short name must be one letter or digit`);
      if (shorts.has(spec.short)) throw new Error(`option "${name}": -${spec.short} is used twice`);
      shorts.add(spec.short);
    }
    if (spec.env !== undefined) {
      if (envs.has(spec.env))
        throw new Error(`option "${name}": environment variable ${spec.env} is used twice`);
      envs.add(spec.env);
    }
    const key = configKeyOf(name, spec);
    if (key !== undefined) {
      if (keys.has(key)) throw new Error(`option "${name}": config key "${key}" is used twice`);
      keys.add(key);
    }
    if (spec.choices !== undefined && spec.type !== 'string' && spec.type !== 'string[]') {
      throw new Error(`option "${name}": choices need a string or string[] option`);
    }
  }
}

type AnyValue = OptionValueTypes[OptionType];

/** Parse argv, environment and config file against the table. Throws UsageError. */
export async function parseCommandLine<O extends OptionTable>(
  spec: CommandSpec<O>,
  input: ParseInput,
): Promise<ParseResult<O>> {
  checkTable(spec.options);
  const argv = [...input.argv];
  const terminator = argv.indexOf('--');
  const beforeTerminator = terminator < 0 ? argv : argv.slice(0, terminator);
  if (spec.options['help'] !== undefined && beforeTerminator.some((a) => a === '--help' || a === '-h'))
    return { help: true };

  const { flags, positionals } = parseArgv(spec.options, argv);
  if (flags.get('help') === true) return { help: true };
  const env = input.env ?? {};

  const values: Record<string, AnyValue | undefined> = {};
  const sources: Record<string, ValueSource> = {};

  // Config file: named by the config option's flag or environment variable.
  const configName = spec.configOption ?? (spec.options['config'] !== undefined ? 'config' : undefined);
  let configFile: string | undefined;
  let fileValues = new Map<string, AnyValue>();
  if (configName !== undefined) {
    const cspec = spec.options[configName];
    if (cspec === undefined || cspec.type !== 'string')
      throw new Error(`configOption "${configName}" must be a string option`);
    const fromFlag = flags.get(configName);
    const fromEnv = cspec.env !== undefined ? nonEmpty(env[cspec.env]) : undefined;
    configFile = typeof fromFlag === 'string' ? fromFlag : fromEnv;
    if (configFile !== undefined) fileValues = await loadConfigFile(spec.options, configFile, input.readFile);
  }

  for (const [name, ospec] of Object.entries(spec.options)) {
    const camel = camelCase(name);
    let value: AnyValue | undefined;
    let source: ValueSource = 'default';
    let where = '';
    const flag = flags.get(name);
    const envText = ospec.env !== undefined ? nonEmpty(env[ospec.env]) : undefined;
    const fromFile = fileValues.get(name);
    if (flag !== undefined) {
      value = flag;
      source = 'flag';
      where = `option --${name}`;
    } else if (envText !== undefined) {
      value = fromEnvText(ospec, envText, `environment variable ${ospec.env ?? ''}`);
      source = 'env';
      where = `environment variable ${ospec.env ?? ''}`;
    } else if (fromFile !== undefined) {
      value = fromFile;
      source = 'config';
      where = `config file ${configFile ?? ''}, key "${configKeyOf(name, ospec) ?? name}"`;
    } else {
      value =
        ospec.default !== undefined
          ? copy(ospec.default)
          : ospec.type === 'boolean'
            ? false
            : ospec.type === 'string[]'
              ? []
              : undefined;
      where = `default of --${name}`;
    }
    if (value === undefined && ospec.required === true) {
      const alt = [
        ospec.env !== undefined ? `environment variable ${ospec.env}` : '',
        configKeyOf(name, ospec) !== undefined ? 'the config file' : '',
      ]
        .filter((s) => s !== '')
        .join(' or ');
      throw new UsageError(`missing required option --${name}${alt !== '' ? ` (or ${alt})` : ''}`);
    }
    if (value !== undefined) checkValue(ospec, value, where);
    values[camel] = value;
    sources[camel] = source;
  }

  const p = spec.positionals;
  if (p === undefined) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0] ?? ''}"`);
  } else {
    const min = p.min ?? 0;
    if (positionals.length < min)
      throw new UsageError(`missing ${p.name} argument${min > 1 ? ` (at least ${min} needed)` : ''}`);
    if (p.max !== undefined && positionals.length > p.max) {
      throw new UsageError(
        `too many ${p.name} arguments (at most ${p.max}): unexpected "${positionals[p.max] ?? ''}"`,
      );
    }
  }

  return {
    help: false,
    values: values as ConfigOf<O>,
    positionals,
    sources: sources as { [K in keyof ConfigOf<O>]: ValueSource },
    configFile,
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function copy(v: AnyValue): AnyValue {
  return Array.isArray(v) ? [...v] : v;
}

function checkValue(spec: OptionSpec, value: AnyValue, where: string): void {
  if (spec.choices !== undefined) {
    const list = Array.isArray(value) ? value : [value];
    for (const v of list) {
      if (typeof v === 'string' && !spec.choices.includes(v)) {
        throw new UsageError(`${where}: "${v}" is not one of ${spec.choices.join(', ')}`);
      }
    }
  }
  if (spec.check !== undefined) {
    const message = (spec.check as (v: AnyValue) => string | undefined)(value);
    if (message !== undefined) throw new UsageError(`${where}: ${message}`);
  }
}

// --- argv -------------------------------------------------------------------------------

function parseArgv(
  options: OptionTable,
  argv: readonly string[],
): { flags: Map<string, AnyValue>; positionals: string[] } {
  const flags = new Map<string, AnyValue>();
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(options))
    if (spec.short !== undefined) byShort.set(spec.short, name);

  const set = (name: string, raw: string | boolean, display: string): void => {
    const spec = options[name];
    if (spec === undefined) throw new UsageError(`unknown option ${display}`);
    if (spec.type === 'boolean') {
      flags.set(name, raw as boolean);
    } else if (spec.type === 'string[]') {
      const prev = flags.get(name);
      flags.set(name, [...(Array.isArray(prev) ? prev : []), raw as string]);
    } else if (spec.type === 'number') {
      flags.set(name, toNumber(raw as string, `option ${display}`));
    } else {
      flags.set(name, raw as string);
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const spec = options[name];
      if (spec === undefined && name.startsWith('no-') && options[name.slice(3)]?.type === 'boolean') {
        if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
        set(name.slice(3), false, `--${name}`);
        continue;
      }
      if (spec === undefined)
        throw new UsageError(`unknown option --${name}${suggest(name, Object.keys(options))}`);
      if (spec.type === 'boolean') {
        if (inline !== undefined)
          throw new UsageError(`option --${name} takes no value (use --${name} or --no-${name})`);
        set(name, true, `--${name}`);
        continue;
      }
      let value = inline;
      if (value === undefined) {
        if (i + 1 >= argv.length)
          throw new UsageError(
            `option --${name} needs a value${spec.valueName ? ` (${spec.valueName})` : ''}`,
          );
        value = argv[++i] as string;
      }
      set(name, value, `--${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // -abc (booleans), -fFILE, -f FILE
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] as string;
        const name = byShort.get(letter);
        if (name === undefined) throw new UsageError(`unknown option -${letter}`);
        const spec = options[name] as OptionSpec;
        if (spec.type === 'boolean') {
          set(name, true, `-${letter}`);
          continue;
        }
        let value = arg.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length)
            throw new UsageError(
              `option -${letter} needs a value${spec.valueName ? ` (${spec.valueName})` : ''}`,
            );
          value = argv[++i] as string;
        }
        set(name, value, `-${letter}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { flags, positionals };
}

function suggest(name: string, names: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const n of names) {
    const d = distance(name, n);
    if (d < bestDistance) {
      best = n;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(name.length / 3))
    ? ` (did you mean --${best}?)`
    : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

function toNumber(text: string, where: string): number {
  const t = text.trim();
  const n = t === '' ? NaN : Number(t);
  if (!Number.isFinite(n)) throw new UsageError(`${where}: "${text}" is not a number`);
  return n;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** Environment text to a value: numbers parsed, booleans 1/0 true/false yes/no on/off, lists comma-separated. */
function fromEnvText(spec: OptionSpec, text: string, where: string): AnyValue {
  switch (spec.type) {
    case 'string':
      return text;
    case 'number':
      return toNumber(text, where);
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      throw new UsageError(`${where}: "${text}" is not a boolean (1/0, true/false, yes/no, on/off)`);
    }
    case 'string[]':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
  }
}

// --- config file ------------------------------------------------------------------------

/** Read and validate a config file; returns values keyed by option name. Throws UsageError. */
export async function loadConfigFile(
  options: OptionTable,
  file: string,
  read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<Map<string, AnyValue>> {
  const ext = extname(file).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new UsageError(`config file ${file}: unknown format "${ext}" (use .json, .yaml or .yml)`);
  }
  let text: string;
  try {
    text = await read(file);
  } catch (err) {
    throw new UsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = ext === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new UsageError(`config file ${file}: ${(err as Error).message}`);
  }
  return validateConfigObject(options, data ?? {}, file);
}

/** Validate parsed config data against the table; returns values keyed by option name. */
export function validateConfigObject(
  options: OptionTable,
  data: unknown,
  file: string,
): Map<string, AnyValue> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(
      `config file ${file}: expected a mapping of option names to values, got ${describe(data)}`,
    );
  }
  const byKey = new Map<string, [string, OptionSpec]>();
  for (const [name, spec] of Object.entries(options)) {
    const key = configKeyOf(name, spec);
    if (key !== undefined) byKey.set(key, [name, spec]);
  }
  const out = new Map<string, AnyValue>();
  for (const [key, value] of Object.entries(data)) {
    const entry = byKey.get(key);
    if (entry === undefined) {
      const hint = suggest(key, [...byKey.keys()]).replace('--', '');
      throw new UsageError(`config file ${file}: unknown key "${key}"${hint}`);
    }
    const [name, spec] = entry;
    const where = `config file ${file}, key "${key}"`;
    switch (spec.type) {
      case 'string':
        if (typeof value !== 'string')
          throw new UsageError(`${where}: expected a string, got ${describe(value)}`);
        break;
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value))
          throw new UsageError(`${where}: expected a number, got ${describe(value)}`);
        break;
      case 'boolean':
        if (typeof value !== 'boolean')
          throw new UsageError(`${where}: expected true or false, got ${describe(value)}`);
        break;
      case 'string[]':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
          throw new UsageError(`${where}: expected a list of strings, got ${describe(value)}`);
        }
        break;
    }
    out.set(name, value as AnyValue);
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v))
    return v.every((x) => typeof x === 'string') ? 'a list' : 'a list with non-string items';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

// --- help -------------------------------------------------------------------------------

function placeholder(name: string, spec: OptionSpec): string {
  if (spec.type === 'boolean') return '';
  return ` ${spec.valueName ?? (spec.type === 'number' ? 'N' : name.toUpperCase().replace(/-/g, '_'))}`;
}

export function formatUsage(spec: CommandSpec): string {
  const p = spec.positionals;
  let args = '';
  if (p !== undefined && p.max !== 0) {
    const many = p.max === undefined || p.max > 1;
    const word = `${p.name}${many ? '...' : ''}`;
    args = ` ${(p.min ?? 0) > 0 ? word : `[${word}]`}`;
  }
  return `Usage: ${spec.name} [options]${args}`;
}

/** The --help text: usage, summary, arguments, options with defaults, env vars and config keys. */
export function formatHelp(spec: CommandSpec): string {
  const lines: string[] = [formatUsage(spec)];
  if (spec.summary !== undefined) lines.push('', spec.summary);
  const p = spec.positionals;
  if (p !== undefined && p.max !== 0) lines.push('', 'Arguments:', `  ${p.name}  ${p.description}`);
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const head = `${o.short !== undefined ? `-${o.short}, ` : '    '}--${name}${placeholder(name, o)}`;
    const notes: string[] = [];
    if (o.type === 'string[]') notes.push('repeatable');
    if (o.required === true) notes.push('required');
    const dflt = o.default;
    if (dflt !== undefined && dflt !== false && !(Array.isArray(dflt) && dflt.length === 0)) {
      notes.push(`default: ${Array.isArray(dflt) ? dflt.join(',') : String(dflt)}`);
    }
    if (o.env !== undefined) notes.push(`env: ${o.env}`);
    const key = configKeyOf(name, o);
    if (key !== undefined && key !== name) notes.push(`config key: ${key}`);
    let desc = o.description;
    if (o.choices !== undefined) desc += ` (${o.choices.join(', ')})`;
    return { head, desc, notes };
  });
  const width = Math.min(32, Math.max(...rows.map((r) => r.head.length))) + 2;
  lines.push('', 'Options:');
  for (const r of rows) {
    const pad = r.head.length + 2 <= width ? r.head.padEnd(width) : `${r.head}\n${' '.repeat(width + 2)}`;
    lines.push(`  ${pad}${r.desc}`);
    if (r.notes.length > 0) lines.push(`${' '.repeat(width + 2)}[${r.notes.join('; ')}]`);
  }
  const configName = spec.configOption ?? (spec.options['config'] !== undefined ? 'config' : undefined);
  lines.push(
    '',
    'Values come from, in order of precedence: flags, environment variables, the config file, defaults.',
  );
  if (configName !== undefined) {
    lines.push(
      `The config file (--${configName} FILE, .json or .yaml/.yml) is a mapping of option names to values;`,
      'repeatable options take a list. Unknown keys and values of the wrong type are errors.',
    );
  }
  if (spec.epilog !== undefined) lines.push('', spec.epilog);
  return `${lines.join('\n')}\n`;
}

// --- JSON schema ------------------------------------------------------------------------

/** A JSON Schema (draft 2020-12) object, as plain data. */
export interface JsonSchema {
  readonly [keyword: string]: JsonSchemaValue;
}
export type JsonSchemaValue = string | number | boolean | null | readonly JsonSchemaValue[] | JsonSchema;

/** The config file's JSON schema, rendered from the option table (for READMEs, editors and --help). */
export function configJsonSchema(spec: CommandSpec, opts: { readonly id?: string } = {}): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, o] of Object.entries(spec.options)) {
    const key = configKeyOf(name, o);
    if (key === undefined) continue;
    const enumOf: Record<string, JsonSchemaValue> = o.choices !== undefined ? { enum: [...o.choices] } : {};
    const base: Record<string, JsonSchemaValue> =
      o.type === 'string[]'
        ? { type: 'array', items: { type: 'string', ...enumOf } }
        : { type: o.type, ...(o.type === 'string' ? enumOf : {}) };
    let description = o.description;
    if (o.env !== undefined) description += ` (environment: ${o.env})`;
    description += ` (flag: --${name})`;
    properties[key] = { description, ...base, ...(o.default !== undefined ? { default: o.default } : {}) };
    if (o.required === true) required.push(key);
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...(opts.id !== undefined ? { $id: opts.id } : {}),
    title: `${spec.name} config file`,
    ...(spec.summary !== undefined ? { description: spec.summary } : {}),
    type: 'object',
    additionalProperties: false,
    properties,
    ...(required.length > 0 ? { required } : {}),
  };
}
