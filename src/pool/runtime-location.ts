/**
 * Where the worker runtime lives and what a thread needs to load it. From the TypeScript sources
 * (this file's URL ends in `.ts`: tests, `tsx` scripts) the runtime is workers/runtime.ts and
 * threads need tsx; from the build (dist/src/pool/*.js) it is dist/workers/runtime.js and needs
 * no loader, unless the user's handler module is itself TypeScript.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = import.meta.url;
const fromSources = here.endsWith('.ts');

/** Absolute path of the runtime file piscina loads in every thread. */
export const runtimeFile = fileURLToPath(new URL(`../../workers/runtime.${fromSources ? 'ts' : 'js'}`, here));

const TS_MODULE = /\.(?:ts|mts|cts)$/;

/** True when threads need tsx to load the runtime or the handler module. */
export function needsTypeScriptLoader(module: URL): boolean {
  return fromSources || TS_MODULE.test(module.pathname);
}

let loaderArgs: string[] | undefined;

/**
 * `execArgv` for threads that load TypeScript: registers tsx's ESM hooks inside the thread.
 * (`--import tsx` is not enough: on Node 20 tsx installs its ESM hooks in the main thread only,
 * and a worker's dynamic import() of a .ts file then fails.) Throws when tsx is not installed.
 */
export function typeScriptExecArgv(): string[] {
  if (loaderArgs !== undefined) return loaderArgs;
  let api: string;
  try {
    const pkg = createRequire(here).resolve('tsx/package.json');
    api = pathToFileURL(join(dirname(pkg), 'dist', 'esm', 'api', 'index.mjs')).href;
  } catch {
    throw new Error(
      'TypeScript worker modules need the `tsx` package: npm i -D tsx (or compile the module to .js)',
    );
  }
  loaderArgs = ['--import', `data:text/javascript,import{register}from${JSON.stringify(api)};register();`];
  return loaderArgs;
}
