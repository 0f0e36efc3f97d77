// Exact 64-bit integers in the API's JSON, set up once per plugin (fastify encapsulation
// keeps it to these routes):
//   - request bodies of any content type are parsed as JSON with @rumpflow/openflow's
//     parseJson (Ryu's clients send JSON as curl -d, i.e. form-encoded, or with no type);
//     integers beyond 2^53 arrive as their decimal text, so the schemas take 64-bit fields
//     as integer-or-string and nothing is ever rounded through a double;
//   - replies are written with stringifyJson (bigints with every digit), response schemas
//     serving the OpenAPI document only.

import { parseJson, stringifyJson } from '@rumpflow/openflow';
import type { RoutesPlugin } from '@rumpflow/service';
import { HttpError } from './errors.js';

/** bigints (integers beyond 2^53) as their decimal text, everywhere in a parsed body. */
export function bigintsAsText(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(bigintsAsText);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      Object.defineProperty(out, k, {
        value: bigintsAsText(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return v;
}

/** Parse a request body as exact JSON; an empty body is no body. */
export function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return bigintsAsText(parseJson(text));
  } catch (e) {
    throw new HttpError(400, `the body is not JSON: ${(e as Error).message}`);
  }
}

/** The fastify instance a routes plugin gets. */
export type Fastify = Parameters<RoutesPlugin>[0];

export function useExactJson(app: Fastify): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.setSerializerCompiler(() => (data) => stringifyJson(data));
  app.setReplySerializer((payload) => stringifyJson(payload));
}
