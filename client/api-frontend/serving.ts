// What the API front ends need from whoever composes the server: TLS material, accepted tokens,
// health probes, and where to say they listen. The server bootstrap (cli/server.ts) registers it in
// the plugin host's root container; REST and gRPC resolve the same one.
import { createServiceToken } from '@skiff/kernel/plugins';
import type { TokenUser } from './authentication.ts';

/** One health check's result (the REST API's /readyz and /livez, the gRPC health service). */
export interface HealthCheckResult {
  name: string;
  ok: boolean;
  message?: string;
}
export type HealthProbe = () => Promise<HealthCheckResult[]>;

export interface ApiServing {
  /** PEM; without it front ends serve plaintext (tests only) */
  tls?: { cert: string; key: string };
  /** accepted bearer tokens (a plain string is an admin token); none: no authentication */
  tokens?: (string | TokenUser)[];
  /** readiness checks (the store, the watch cache) */
  readiness?: HealthProbe;
  /** liveness checks: what the process cannot recover from */
  liveness?: HealthProbe;
  /**
   * Called once each front end listens: the REST API with its URL (frontEnd "rest"), the gRPC API
   * with its host:port (frontEnd "grpc").
   */
  onListening?: (address: string, frontEnd: string) => void;
}

export const ApiServingToken = createServiceToken<ApiServing>('skiff.api.serving');
