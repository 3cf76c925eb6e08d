// The parts of Service and EndpointSlice (discovery.k8s.io/v1) the cluster DNS reads.
import type { KObject } from '@skiff/kernel';
import type { Service } from '@skiff/api';

export type { Service };

/** The label tying an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface EndpointSliceEndpoint {
  addresses: string[];
  /** nil ready means ready (the API's rule) */
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  nodeName?: string;
}

export interface EndpointSlicePort {
  name?: string;
  protocol?: string;
  port?: number;
}

export interface EndpointSlice extends KObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: EndpointSliceEndpoint[] | null;
  ports?: EndpointSlicePort[] | null;
}
