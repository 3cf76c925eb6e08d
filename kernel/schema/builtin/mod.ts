// All built-in kinds.
import type { KindDefinition } from '../kind-definition.ts';
import { customResourceDefinitionKind } from './apiextensions.ts';
import { daemonSetKind, deploymentKind, replicaSetKind, statefulSetKind } from './apps.ts';
import { cronJobKind, jobKind } from './batch.ts';
import { leaseKind } from './coordination.ts';
import { configMapKind, secretKind } from './core-config.ts';
import { eventKind, namespaceKind, nodeKind, serviceAccountKind } from './core-misc.ts';
import { podKind } from './core-pod.ts';
import { endpointsKind, serviceKind } from './core-service.ts';
import { persistentVolumeClaimKind, persistentVolumeKind } from './core-storage.ts';
import { distributionKind, pluginKind } from './plugins.ts';

export { kindsFromCRD } from './crd-kinds.ts';
export { parseCron, nextCronTime, cronError, type CronSchedule } from './cron.ts';
export { podQOSClass } from './pod-defaults.ts';

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
    deploymentKind,
    replicaSetKind,
    statefulSetKind,
    daemonSetKind,
    jobKind,
    cronJobKind,
    leaseKind,
    customResourceDefinitionKind,
    pluginKind,
    distributionKind,
  ];
}
