// What the REST API needs from whoever composes the server: its TLS material and accepted tokens.
// The server bootstrap registers it in the plugin host's root container.
import { createServiceToken } from '@skiff/kernel/plugins';
import type { HealthProbe } from './health.ts';

export interface ApiServing {
  tls?: { cert: string; key: string };
  tokens?: string[];
  /** /readyz and /healthz checks (the store, the watch cache) */
  readiness?: HealthProbe;
  /** /livez checks: what the process cannot recover from */
  liveness?: HealthProbe;
  /** called once the API listens, with its URL */
  onListening?: (url: string) => void;
}

export const ApiServingToken = createServiceToken<ApiServing>('skiff.rest-api.serving');
