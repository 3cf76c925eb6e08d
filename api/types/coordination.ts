// coordination.k8s.io/v1: Lease (node heartbeats, leader election).
import type { KObject, MicroTime } from './meta.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: MicroTime;
  renewTime?: MicroTime;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
}
export interface Lease extends KObject {
  spec?: LeaseSpec;
}
