// kube's serviceaccounts-controller: every active Namespace has the ServiceAccounts named in the
// config (by default just `default`); one deleted is made again.
import { defineController } from '@skiff/client';
import { NAMESPACES, SERVICE_ACCOUNTS, isAlreadyExists, isForbidden, isNotFound } from '@skiff/api';

export default defineController<{ serviceAccounts: string[] }>({
  name: 'serviceaccount-controller',
  version: '0.1.0',
  for: NAMESPACES,
  workers: 2,
  configSchema: { type: 'object', properties: { serviceAccounts: { type: 'array', items: { type: 'string' }, default: ['default'] } } },
  // a ServiceAccount changed or deleted: look at its namespace again (cheap: two lister reads)
  watches: [{ ref: SERVICE_ACCOUNTS, map: (sa) => [sa.metadata.namespace!] }],
  setup(c) {
    const namespaces = c.informer(NAMESPACES);
    const accounts = c.informer(SERVICE_ACCOUNTS);
    return async (name) => {
      const ns = namespaces.lister.get(undefined, name);
      if (!ns || ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') return;
      for (const sa of c.config.serviceAccounts) {
        if (accounts.lister.get(name, sa)) continue;
        try {
          await c.kernel.create(SERVICE_ACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: name } });
        } catch (e) {
          // exists already (the informer lags), or the namespace began terminating meanwhile
          if (!isAlreadyExists(e) && !isForbidden(e) && !isNotFound(e)) throw e;
        }
      }
    };
  },
});
