// switchd.conf: OpenBSD's grammar (switchd.conf(5)) with rumpflow's extensions.
//
//   # comment
//   ctl = "tcp:127.0.0.1:6653"          macro; used as $ctl (-D name=value overrides)
//   include "/etc/switchd.extra.conf"
//   listen on 127.0.0.1 [tls] [port 6653]
//   device "SPEC" [fail-mode secure|standalone] forward to URI [forward to URI ...]
//
// SPEC is a plain path, rump:/dev/switchN or unix:/path; URI is the shared endpoint grammar.
// A line ends a statement; a backslash before the newline continues it. Every error is a
// ConfigError naming file, line and column. No I/O here: includes are read through the
// caller's readFile.

import { EndpointError, OPENFLOW_PORT, parseEndpoint } from '@rumpflow/endpoint';
import { parseDeviceSpec, DeviceSpecError } from './device-spec.js';

export type FailMode = 'secure' | 'standalone';

export interface ListenConfig {
  readonly addr: string;
  readonly port: number;
  readonly tls: boolean;
}

export interface DeviceConfig {
  readonly spec: string;
  readonly failMode: FailMode;
  /** Controller URIs, in the order given (active tcp:/tls:/unix:, passive ptcp:/pssl:/punix:). */
  readonly forward: readonly string[];
}

export interface SwitchdConfig {
  readonly listen: readonly ListenConfig[];
  readonly devices: readonly DeviceConfig[];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
  }
}

export interface ParseConfigOptions {
  /** Name of the text's file, for errors and relative includes. */
  readonly file?: string;
  /** Macros from the command line (-D name=value); they win over definitions in the file. */
  readonly defines?: Readonly<Record<string, string>>;
  /** Reads an included file (throws if it cannot). Without it, include is an error. */
  readonly readFile?: (path: string) => string;
}

/** Longest accepted file, and deepest include nesting: configuration is small. */
const MAX_CONFIG_BYTES = 1 << 20;
const MAX_INCLUDE_DEPTH = 8;

interface Token {
  readonly kind: 'word' | 'string' | 'eq' | 'eol';
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_.:/\-[\]$@%+*,~]/.test(c);
}

function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  const err = (l: number, c: number, why: string): never => {
    throw new ConfigError(file, l, c, why);
  };
  const advance = (n = 1) => {
    for (let k = 0; k < n; k++) {
      if (text[i] === '\n') {
        line++;
        col = 1;
      } else col++;
      i++;
    }
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') {
      out.push({ kind: 'eol', text: '\n', line, col });
      advance();
    } else if (c === ' ' || c === '\t' || c === '\r') advance();
    else if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      advance(text[i + 1] === '\n' ? 2 : 3); // continuation line
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') advance();
    } else if (c === '=') {
      out.push({ kind: 'eq', text: '=', line, col });
      advance();
    } else if (c === '"') {
      const l0 = line;
      const c0 = col;
      advance();
      let s = '';
      while (text[i] !== '"') {
        if (i >= text.length || text[i] === '\n') err(l0, c0, 'unterminated quoted string');
        if (text[i] === '\\' && i + 1 < text.length && text[i + 1] !== '\n') {
          advance();
        }
        s += text[i];
        advance();
      }
      advance();
      out.push({ kind: 'string', text: s, line: l0, col: c0 });
    } else if (isWordChar(c)) {
      const l0 = line;
      const c0 = col;
      let s = '';
      while (i < text.length && isWordChar(text[i] as string)) {
        s += text[i];
        advance();
      }
      out.push({ kind: 'word', text: s, line: l0, col: c0 });
    } else {
      err(line, col, `unexpected character ${JSON.stringify(c)}`);
    }
  }
  out.push({ kind: 'eol', text: '', line, col });
  return out;
}

interface Builder {
  readonly macros: Map<string, string>;
  readonly defines: ReadonlySet<string>;
  readonly listen: ListenConfig[];
  readonly devices: DeviceConfig[];
  readonly opts: ParseConfigOptions;
}

/** Parse switchd.conf text. Throws ConfigError. */
export function parseConfig(text: string, opts: ParseConfigOptions = {}): SwitchdConfig {
  const defines = opts.defines ?? {};
  for (const name of Object.keys(defines)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new ConfigError('-D', 1, 1, `bad macro name ${JSON.stringify(name)}`);
  }
  const b: Builder = {
    macros: new Map(Object.entries(defines)),
    defines: new Set(Object.keys(defines)),
    listen: [],
    devices: [],
    opts,
  };
  parseInto(b, text, opts.file ?? 'switchd.conf', 0);
  return { listen: b.listen, devices: b.devices };
}

/** -D arguments (name=value) as a record; throws ConfigError on a malformed one. */
export function parseDefines(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ConfigError('-D', 1, 1, `expected macro=value, got ${JSON.stringify(a)}`);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

function parseInto(b: Builder, text: string, file: string, depth: number): void {
  if (text.length > MAX_CONFIG_BYTES)
    throw new ConfigError(file, 1, 1, `larger than ${MAX_CONFIG_BYTES} bytes`);
  const toks = tokenize(text, file);
  let p = 0;
  const peek = (): Token => toks[p] as Token;
  const next = (): Token => toks[p++] as Token;
  const fail = (t: Token, why: string): never => {
    throw new ConfigError(file, t.line, t.col, why);
  };
  const describe = (t: Token) => (t.kind === 'eol' ? 'end of line' : JSON.stringify(t.text));
  /** A value: a quoted string, a word, or a $macro. */
  const value = (what: string): { text: string; tok: Token } => {
    const t = next();
    if (t.kind === 'string') return { text: t.text, tok: t };
    if (t.kind === 'word') {
      if (t.text.startsWith('$')) {
        const name = t.text.slice(1);
        const v = b.macros.get(name);
        if (v === undefined) fail(t, `macro $${name} is not defined`);
        return { text: v as string, tok: t };
      }
      return { text: t.text, tok: t };
    }
    return fail(t, `expected ${what}, got ${describe(t)}`);
  };
  const keyword = (kw: string): void => {
    const t = next();
    if (t.kind !== 'word' || t.text !== kw) fail(t, `expected "${kw}", got ${describe(t)}`);
  };
  const endOfStatement = (): void => {
    const t = next();
    if (t.kind !== 'eol') fail(t, `unexpected ${describe(t)}`);
  };

  while (p < toks.length) {
    const t = peek();
    if (t.kind === 'eol') {
      p++;
      continue;
    }
    if (t.kind !== 'word') fail(t, `expected a statement, got ${describe(t)}`);
    // macro definition: NAME = VALUE
    if (toks[p + 1]?.kind === 'eq') {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.text)) fail(t, `bad macro name ${JSON.stringify(t.text)}`);
      p += 2;
      const v = value('a macro value');
      if (!b.defines.has(t.text)) b.macros.set(t.text, v.text);
      endOfStatement();
      continue;
    }
    p++;
    switch (t.text) {
      case 'include': {
        const v = value('a file name');
        if (depth + 1 > MAX_INCLUDE_DEPTH) fail(v.tok, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
        if (!b.opts.readFile) fail(v.tok, 'include is not available here');
        const path = v.text.startsWith('/') ? v.text : `${dirname(file)}/${v.text}`;
        let inner: string;
        try {
          inner = (b.opts.readFile as (p: string) => string)(path);
        } catch (e) {
          return fail(v.tok, `cannot include ${path}: ${(e as Error).message}`);
        }
        endOfStatement();
        parseInto(b, inner, path, depth + 1);
        break;
      }
      case 'listen': {
        keyword('on');
        const addr = value('an address');
        let tls = false;
        let port = OPENFLOW_PORT;
        while (peek().kind === 'word' && (peek().text === 'tls' || peek().text === 'port')) {
          const opt = next();
          if (opt.text === 'tls') tls = true;
          else {
            const v = value('a port number');
            const n = Number(v.text);
            if (!/^\d+$/.test(v.text) || n < 1 || n > 65535)
              fail(v.tok, `bad port ${JSON.stringify(v.text)}`);
            port = n;
          }
        }
        endOfStatement();
        const a = (addr.text === '*' || addr.text === 'any' ? '0.0.0.0' : addr.text).replace(
          /^\[(.*)\]$/,
          '$1',
        );
        if (!/^[0-9A-Za-z.:-]+$/.test(a)) fail(addr.tok, `bad address ${JSON.stringify(addr.text)}`);
        if (b.listen.some((l) => l.addr === a && l.port === port))
          fail(addr.tok, `listen on ${a} port ${port} given twice`);
        b.listen.push({ addr: a, port, tls });
        break;
      }
      case 'device': {
        if (peek().kind === 'word' && peek().text === 'add') p++; // OpenBSD's optional `add`
        const spec = value('a device');
        try {
          parseDeviceSpec(spec.text);
        } catch (e) {
          if (e instanceof DeviceSpecError) fail(spec.tok, e.message);
          throw e;
        }
        if (b.devices.some((d) => d.spec === spec.text))
          fail(spec.tok, `device ${JSON.stringify(spec.text)} given twice`);
        let failMode: FailMode = 'secure';
        const forward: string[] = [];
        for (;;) {
          const w = peek();
          if (w.kind !== 'word') break;
          if (w.text === 'fail-mode') {
            p++;
            const m = value('secure or standalone');
            if (m.text !== 'secure' && m.text !== 'standalone')
              fail(m.tok, `fail-mode must be secure or standalone, got ${JSON.stringify(m.text)}`);
            failMode = m.text as FailMode;
          } else if (w.text === 'forward') {
            p++;
            keyword('to');
            const u = value('a controller URI');
            try {
              parseEndpoint(u.text);
            } catch (e) {
              if (e instanceof EndpointError) fail(u.tok, e.message);
              throw e;
            }
            if (forward.includes(u.text)) fail(u.tok, `forward to ${u.text} given twice`);
            forward.push(u.text);
          } else break;
        }
        endOfStatement();
        b.devices.push({ spec: spec.text, failMode, forward });
        break;
      }
      default:
        fail(t, `unknown statement ${JSON.stringify(t.text)}`);
    }
  }
}
