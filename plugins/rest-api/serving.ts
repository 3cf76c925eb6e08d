// What the REST API needs from whoever composes the server: its TLS material and accepted tokens.
// The server bootstrap registers it in the plugin host's root container.
import { createServiceToken } from '@skiff/kernel/plugins';

export interface ApiServing {
  tls?: { cert: string; key: string };
  tokens?: string[];
  /** called once the API listens, with its URL */
  onListening?: (url: string) => void;
}

export const ApiServingToken = createServiceToken<ApiServing>('skiff.rest-api.serving');
