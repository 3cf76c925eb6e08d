// networking.k8s.io/v1 NetworkPolicy: which traffic may reach (ingress) and leave (egress) the pods a
// policy selects. Pods no policy selects (for a direction) allow everything in that direction.
import type { Protocol } from './core-pod.ts';
import type { IntOrString, KObject, LabelSelector } from './meta.ts';

export type PolicyType = 'Ingress' | 'Egress';

export interface IPBlock {
  /** "10.0.0.0/8" (or IPv6) */
  cidr: string;
  /** CIDRs inside `cidr` that the block leaves out */
  except?: string[];
}

/** One peer: podSelector and/or namespaceSelector, or ipBlock alone. */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  /** default TCP */
  protocol?: Protocol;
  /** a number or a named container port; unset: every port of the protocol */
  port?: IntOrString;
  /** with a numeric port: the range port..endPort */
  endPort?: number;
}

export interface NetworkPolicyIngressRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
}

export interface NetworkPolicyEgressRule {
  ports?: NetworkPolicyPort[];
  to?: NetworkPolicyPeer[];
}

export interface NetworkPolicySpec {
  /** the pods of the policy's namespace it applies to; {} selects them all */
  podSelector: LabelSelector;
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
  /** defaulted: Ingress, plus Egress when egress rules are given */
  policyTypes?: PolicyType[];
}

export interface NetworkPolicy extends KObject {
  spec: NetworkPolicySpec;
}
