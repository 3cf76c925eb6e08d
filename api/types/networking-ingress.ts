// networking.k8s.io/v1: Ingress and IngressClass.
import type { Protocol } from './core-pod.ts';
import type { KObject } from './meta.ts';

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface TypedLocalObjectReference {
  apiGroup?: string;
  kind: string;
  name: string;
}
export interface ServiceBackendPort {
  /** exactly one of name and number */
  name?: string;
  number?: number;
}
export interface IngressServiceBackend {
  name: string;
  port: ServiceBackendPort;
}
/** exactly one of service and resource */
export interface IngressBackend {
  service?: IngressServiceBackend;
  resource?: TypedLocalObjectReference;
}
export interface HTTPIngressPath {
  path?: string;
  pathType: PathType;
  backend: IngressBackend;
}
export interface IngressRule {
  /** a DNS name, or `*.` and one: no IP, no port */
  host?: string;
  http?: { paths: HTTPIngressPath[] };
}
export interface IngressTLS {
  hosts?: string[];
  secretName?: string;
}
export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: IngressTLS[];
  rules?: IngressRule[];
}
export interface IngressPortStatus {
  port: number;
  protocol: Protocol;
  error?: string;
}
export interface IngressLoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ports?: IngressPortStatus[];
}
export interface IngressStatus {
  loadBalancer?: { ingress?: IngressLoadBalancerIngress[] };
}
export interface Ingress extends KObject {
  spec?: IngressSpec;
  status?: IngressStatus;
}

export interface IngressClassParametersReference {
  apiGroup?: string;
  kind: string;
  name: string;
  /** Cluster (the default) or Namespace */
  scope?: 'Cluster' | 'Namespace';
  namespace?: string;
}
export interface IngressClass extends KObject {
  spec?: { controller?: string; parameters?: IngressClassParametersReference };
}
