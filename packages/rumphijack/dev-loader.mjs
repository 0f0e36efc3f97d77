// The loader for development checkouts, which run TypeScript sources through tsx (the
// rumphijack CLI uses it when @rumpflow/rumphijack resolves to src/index.ts). Node 20 also
// runs NODE_OPTIONS' --import modules in the loader-hooks thread, where tsx is not active
// and a .ts module cannot load: this plain module imports the loader only on the main thread.
import { isMainThread } from 'node:worker_threads';

// the same URL the package name resolves to under @rumpflow/source: one module, one hijack
if (isMainThread) await import('./src/index.ts');
