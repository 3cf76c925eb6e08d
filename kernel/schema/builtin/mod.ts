// All built-in kinds.
import type { KindDefinition } from '../kind-definition.ts';
import { customResourceDefinitionKind } from './apiextensions.ts';
import { daemonSetKind, deploymentKind, replicaSetKind, statefulSetKind } from './apps.ts';
import { selfSubjectAccessReviewKind, selfSubjectRulesReviewKind } from './authorization.ts';
import { horizontalPodAutoscalerKind } from './autoscaling.ts';
import { controllerRevisionKind } from './controller-revision.ts';
import { cronJobKind, jobKind } from './batch.ts';
import { leaseKind } from './coordination.ts';
import { configMapKind, secretKind } from './core-config.ts';
import { eventKind, namespaceKind, nodeKind, serviceAccountKind } from './core-misc.ts';
import { podKind } from './core-pod.ts';
import { replicationControllerKind } from './core-rc.ts';
import { endpointsKind, serviceKind } from './core-service.ts';
import { endpointSliceKind } from './discovery.ts';
import { ingressClassKind, ingressKind } from './networking-ingress.ts';
import { persistentVolumeClaimKind, persistentVolumeKind } from './core-storage.ts';
import { ipAddressKind, nodePortAllocationKind, serviceCIDRKind } from './networking.ts';
import { networkPolicyKind } from './networking-policy.ts';
import { distributionKind, pluginKind } from './plugins.ts';
import { podDisruptionBudgetKind } from './policy.ts';
import { priorityClassKind } from './scheduling.ts';
import { csiDriverKind, csiNodeKind, csiStorageCapacityKind, storageClassKind, volumeAttachmentKind } from './storage.ts';

export { kindsFromCRD } from './crd-kinds.ts';
export { parseCron, nextCronTime, cronError, type CronSchedule } from './cron.ts';
export { podQOSClass } from './pod-defaults.ts';
export { SYSTEM_PRIORITY_CLASSES, SYSTEM_PRIORITY_CLASS_PREFIX, HIGHEST_USER_DEFINABLE_PRIORITY } from './scheduling.ts';

/** Every built-in kind, core group first (the order discovery and short-name resolution prefer). */
export function builtinKinds(): KindDefinition[] {
  return [
    namespaceKind,
    podKind,
    nodeKind,
    serviceKind,
    endpointsKind,
    configMapKind,
    secretKind,
    eventKind,
    serviceAccountKind,
    persistentVolumeKind,
    persistentVolumeClaimKind,
    replicationControllerKind,
    deploymentKind,
    replicaSetKind,
    statefulSetKind,
    daemonSetKind,
    controllerRevisionKind,
    jobKind,
    cronJobKind,
    horizontalPodAutoscalerKind,
    podDisruptionBudgetKind,
    endpointSliceKind,
    ingressKind,
    ingressClassKind,
    priorityClassKind,
    storageClassKind,
    csiDriverKind,
    csiNodeKind,
    volumeAttachmentKind,
    csiStorageCapacityKind,
    leaseKind,
    ipAddressKind,
    serviceCIDRKind,
    nodePortAllocationKind,
    networkPolicyKind,
    customResourceDefinitionKind,
    selfSubjectAccessReviewKind,
    selfSubjectRulesReviewKind,
    pluginKind,
    distributionKind,
  ];
}
