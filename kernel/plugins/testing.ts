// Helpers for tests of plugins and the plugin host.

import type { Kernel } from '../types.ts';

const notUsed = (method: string) => () => {
  throw new Error(`kernel.${method}: not used`);
};

/** A Kernel whose every method throws "not used" (the host itself never calls the kernel). */
export function unusedKernel(): Kernel {
  return {
    get: notUsed('get'),
    list: notUsed('list'),
    create: notUsed('create'),
    update: notUsed('update'),
    patch: notUsed('patch'),
    delete: notUsed('delete'),
    watch: notUsed('watch'),
    kinds: notUsed('kinds'),
    kindFor: notUsed('kindFor'),
    registerKind: notUsed('registerKind'),
    registerAdmission: notUsed('registerAdmission'),
  };
}
