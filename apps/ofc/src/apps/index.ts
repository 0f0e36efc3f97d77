// The built-in apps by name, and apps from modules (--app ./my-app.js: its default export
// is an AppFactory).

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '@rumpflow/service';
import type { AppContext, AppFactory, OfcApp } from '../app.js';
import { hubApp } from './hub.js';
import { learningApp } from './learning.js';
import { monitorApp } from './monitor.js';
import { staticApp } from './static.js';

export const BUILTIN_APPS: Readonly<Record<string, AppFactory>> = {
  learning: learningApp,
  hub: hubApp,
  static: staticApp,
  monitor: monitorApp,
};

/** A module path rather than a built-in name: has a slash or ends in .js/.mjs. */
export function isModuleApp(name: string): boolean {
  return name.includes('/') || /\.m?js$/.test(name);
}

/** Check an --app value (for the option table). */
export function checkAppName(name: string): string | undefined {
  if (Object.hasOwn(BUILTIN_APPS, name) || isModuleApp(name)) return undefined;
  return `unknown app "${name}" (${Object.keys(BUILTIN_APPS).join(', ')}, or a module path such as ./my-app.js)`;
}

/** Make the app NAME: a built-in, or the default export of the module at that path. */
export async function loadApp(name: string, ctx: AppContext): Promise<OfcApp> {
  let factory = Object.hasOwn(BUILTIN_APPS, name) ? BUILTIN_APPS[name] : undefined;
  if (factory === undefined) {
    const url = pathToFileURL(path.resolve(name)).href;
    let mod: { default?: unknown };
    try {
      mod = (await import(url)) as { default?: unknown };
    } catch (e) {
      throw new UsageError(`--app ${name}: cannot load the module: ${(e as Error).message}`);
    }
    if (typeof mod.default !== 'function')
      throw new UsageError(`--app ${name}: the module's default export is not a function (ctx) => app`);
    factory = mod.default as AppFactory;
  }
  const app = await factory(ctx);
  if (typeof app !== 'object' || app === null || typeof app.name !== 'string') {
    throw new UsageError(
      `--app ${name}: the factory did not return an app (an object with a name and handlers)`,
    );
  }
  return app;
}
