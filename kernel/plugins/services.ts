// The services plugins provide to each other, behind one root-container factory per token, so a
// hot reload can swap the implementation and a removal can withdraw it (tsyringe has no
// per-token unregister).

import type { DependencyContainer } from 'tsyringe';
import type { PluginDescriptor } from './descriptor.ts';
import { tokenId } from './tokens.ts';

export class ProvidedServices {
  private readonly services = new Map<symbol, { owner: string; value: unknown }>();
  /** tokens with a root factory reading `services` */
  private readonly factories = new Set<symbol>();

  constructor(private readonly root: DependencyContainer) {}

  /** Each service token may be provided by one plugin only. */
  static checkUnique(plugins: { name: string; d: PluginDescriptor }[]): void {
    const owners = new Map<symbol, string>();
    for (const { name, d } of plugins) {
      for (const t of d.provides ?? []) {
        const other = owners.get(t);
        if (other !== undefined && other !== name) {
          throw new Error(`service "${tokenId(t)}" is provided by both plugin "${other}" and plugin "${name}"`);
        }
        owners.set(t, name);
      }
    }
  }

  /** Make `owner`'s `staged` services the ones everybody resolves; withdraw `dropped` tokens it no longer provides. */
  commit(owner: string, staged: ReadonlyMap<symbol, unknown>, dropped: readonly symbol[] = []): void {
    for (const t of dropped) if (!staged.has(t) && this.services.get(t)?.owner === owner) this.services.delete(t);
    for (const [t, value] of staged) {
      if (!this.factories.has(t)) {
        this.root.register(t, { useFactory: () => this.get(t) });
        this.factories.add(t);
      }
      this.services.set(t, { owner, value });
    }
  }

  /** Withdraw everything `owner` provides. */
  withdraw(owner: string): void {
    for (const [t, s] of this.services) if (s.owner === owner) this.services.delete(t);
  }

  /** True when `t` is a plugin-provided token that nobody provides right now. */
  isWithdrawn(t: symbol): boolean {
    return this.factories.has(t) && !this.services.has(t);
  }

  get(t: symbol): unknown {
    const s = this.services.get(t);
    if (!s) throw new Error(`service "${tokenId(t)}" is not provided by any running plugin`);
    return s.value;
  }
}
