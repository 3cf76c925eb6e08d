// discovery.k8s.io/v1: EndpointSlice.
import type { ObjectReference } from './core.ts';
import type { Protocol } from './core-pod.ts';
import type { KObject } from './meta.ts';

export type AddressType = 'IPv4' | 'IPv6' | 'FQDN';

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}
export interface ForZone {
  name: string;
}
export interface EndpointHints {
  forZones?: ForZone[];
}
export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hints?: EndpointHints;
  deprecatedTopology?: Record<string, string>;
}
export interface EndpointPort {
  name?: string;
  protocol?: Protocol;
  /** unset: every port */
  port?: number;
  appProtocol?: string;
}
export interface EndpointSlice extends KObject {
  addressType: AddressType;
  endpoints: Endpoint[];
  ports?: EndpointPort[];
}
