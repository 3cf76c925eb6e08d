// JavaScript guests through componentize-js (a dependency of jco): the module is evaluated into a
// snapshot of the StarlingMonkey engine (wizer), with the world's bindings spliced in. No AOT
// compilation (weval would need a download): the JS runs interpreted, so calls are slow, and the
// component carries the whole engine (~12 MB).
import type { ComponentizeOptions } from '@bytecodealliance/componentize-js';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { policyWit, type PolicyWorld } from './sdk-paths.ts';

/** No WASI: a policy needs no clocks, randomness, stdio or http, and the host grants none. */
const NO_FEATURES = ['stdio', 'random', 'clocks', 'http', 'fetch-event'] as const;

// componentize-js 0.22 imports @bytecodealliance/preview2-shim at run time but lists it only as a
// devDependency, so npm leaves it nested under jco. This resolve hook (Node's module.register) lets
// an import that fails to resolve it retry from jco's directory; nothing else is affected.
const PREVIEW2_SHIM_HOOK = `
let fallbackParent;
export function initialize(data) { fallbackParent = data.fallbackParent; }
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.startsWith('@bytecodealliance/preview2-shim')) throw err;
    return next(specifier, { ...context, parentURL: fallbackParent });
  }
}`;

type Componentize = typeof import('@bytecodealliance/componentize-js').componentize;
let loaded: Promise<Componentize> | undefined;

// a specifier bundlers leave alone: componentize-js is jco's dependency, not one this package
// declares, so a bundle must load it at run time rather than inline it
const COMPONENTIZE_JS = ['@bytecodealliance', 'componentize-js'].join('/');

function loadComponentize(): Promise<Componentize> {
  return (loaded ??= (async () => {
    const fallbackParent = pathToFileURL(createRequire(import.meta.url).resolve('@bytecodealliance/jco')).href;
    register(`data:text/javascript,${encodeURIComponent(PREVIEW2_SHIM_HOOK)}`, { data: { fallbackParent } });
    return ((await import(COMPONENTIZE_JS)) as { componentize: Componentize }).componentize;
  })());
}

export async function componentizeJs(entry: string, world: PolicyWorld): Promise<Uint8Array> {
  const componentize = await loadComponentize();
  const opts: ComponentizeOptions & { witWorld: string } = {
    sourcePath: entry,
    // the WIT as text (`witWorld`, missing from the option types): the splicer's sandboxed
    // filesystem cannot read host paths
    witWorld: await policyWit(),
    worldName: world,
    disableFeatures: [...NO_FEATURES],
    enableAot: false,
  };
  const { component } = await componentize(opts);
  return component;
}
