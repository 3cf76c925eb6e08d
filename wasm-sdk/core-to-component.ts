// Core module -> component: embed the world's WIT (component-type custom section) and let
// wit-component build the component around the canonical ABI exports.
import { policyWit, type PolicyWorld } from './sdk-paths.ts';

export async function coreToComponent(core: Uint8Array, world: PolicyWorld): Promise<Uint8Array> {
  const { componentEmbed, componentNew } = await import('@bytecodealliance/jco'); // loaded on first use (CLI start-up)
  // the WIT as text: jco's wasm tools run in a sandbox that cannot read host paths
  const embedded = await componentEmbed({ binary: core, witSource: await policyWit(), world, stringEncoding: 'utf8' });
  return componentNew(embedded);
}
