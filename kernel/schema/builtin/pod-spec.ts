// PodSpec validation, shared by Pod and every pod template (Deployment, Job, ...).
import { asArr, cause, child, dedupeCauses, isObj, type StatusCause } from '../causes.ts';
import { checkStructure } from '../structural.ts';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  validateEnum,
  validateInt,
  validateLabels,
  validateString,
} from '../validation.ts';
import { validateContainers } from './pod-containers.ts';
import { podSpecSchema } from './pod-schema.ts';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
export const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;

export const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
];

/** Volumes: unique DNS-label names, exactly one source each. Returns the causes and the declared names. */
export function validateVolumes(volumes: unknown, field: string): { causes: StatusCause[]; names: Set<string> } {
  const out: StatusCause[] = [];
  const names = new Set<string>();
  asArr(volumes).forEach((v, i) => {
    const f = child(field, i);
    if (!isObj(v)) return;
    if (v.name === undefined || v.name === null || v.name === '') out.push(cause.required(child(f, 'name')));
    else if (typeof v.name === 'string') {
      out.push(...isDNS1123Label(v.name).map((m) => cause.invalid(child(f, 'name'), v.name, m)));
      if (names.has(v.name)) out.push(cause.duplicate(child(f, 'name'), v.name));
      names.add(v.name);
    }
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) out.push(cause.required(f, 'must specify a volume type'));
    for (const s of sources.slice(1)) out.push(cause.forbidden(child(f, s), 'may not specify more than 1 volume type'));
    const src = sources[0];
    if (src && !isObj(v[src])) out.push(cause.typeInvalid(child(f, src), v[src], 'must be an object'));
    else if (src) {
      const o = v[src] as Record<string, unknown>;
      const need: Record<string, string> = { hostPath: 'path', secret: 'secretName', persistentVolumeClaim: 'claimName', nfs: 'path' };
      if (need[src] && (o[need[src]] === undefined || o[need[src]] === '')) out.push(cause.required(child(f, src, need[src])));
    }
  });
  return { causes: out, names };
}

export function validateTolerations(tols: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  asArr(tols).forEach((t, i) => {
    const f = child(field, i);
    if (!isObj(t)) return;
    if (typeof t.key === 'string' && t.key !== '') out.push(...isQualifiedName(t.key).map((m) => cause.invalid(child(f, 'key'), t.key, m)));
    const op = t.operator ?? '';
    if ((t.key === undefined || t.key === '') && op !== 'Exists')
      out.push(cause.invalid(child(f, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (op === 'Exists' && typeof t.value === 'string' && t.value !== '')
      out.push(cause.invalid(child(f, 'operator'), op, 'value must be empty when `operator` is \'Exists\''));
    else if (op !== '' && op !== 'Equal' && op !== 'Exists') out.push(cause.notSupported(child(f, 'operator'), op, ['Equal', 'Exists']));
    out.push(...validateEnum(t.effect, child(f, 'effect'), ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute')
      out.push(cause.invalid(child(f, 'effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  });
  return out;
}

export interface PodSpecOptions {
  /** allowed restartPolicy values (Deployment: Always; Job: OnFailure, Never) */
  restartPolicies?: readonly string[];
  /** volumes the pod gets from outside its spec, which mounts may name (a StatefulSet's volumeClaimTemplates) */
  extraVolumes?: Iterable<string>;
}

/** Structural and semantic checks of a PodSpec at `field` (e.g. "spec" or "spec.template.spec"). */
export function validatePodSpec(spec: unknown, field: string, opts: PodSpecOptions = {}): StatusCause[] {
  if (spec === undefined || spec === null) return [cause.required(field)];
  if (!isObj(spec)) return [cause.typeInvalid(field, spec, 'must be an object')];
  const out = checkStructure(podSpecSchema, spec, { prefix: field });
  const vols = validateVolumes(spec.volumes, child(field, 'volumes'));
  out.push(...vols.causes);
  const ctx = { volumes: new Set([...vols.names, ...(opts.extraVolumes ?? [])]), names: new Set<string>(), init: false, hostNetwork: spec.hostNetwork === true };
  out.push(...validateContainers(spec.containers, child(field, 'containers'), ctx, true));
  out.push(...validateContainers(spec.initContainers, child(field, 'initContainers'), { ...ctx, init: true }, false));

  const rp = opts.restartPolicies ?? RESTART_POLICIES;
  if (spec.restartPolicy === undefined || spec.restartPolicy === null || spec.restartPolicy === '')
    out.push(cause.required(child(field, 'restartPolicy'), `valid values: ${rp.map((s) => JSON.stringify(s)).join(', ')}`));
  else out.push(...validateEnum(spec.restartPolicy, child(field, 'restartPolicy'), rp));
  out.push(...validateEnum(spec.dnsPolicy, child(field, 'dnsPolicy'), DNS_POLICIES));
  out.push(...validateEnum(spec.preemptionPolicy, child(field, 'preemptionPolicy'), ['PreemptLowerPriority', 'Never']));
  out.push(...validateInt(spec.terminationGracePeriodSeconds, child(field, 'terminationGracePeriodSeconds'), { min: 0 }));
  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === 'number' && (!Number.isInteger(ads) || ads < 1 || ads > 2147483647))
    out.push(cause.invalid(child(field, 'activeDeadlineSeconds'), ads, 'must be between 1 and 2147483647, inclusive'));
  out.push(...validateLabels(spec.nodeSelector, child(field, 'nodeSelector')));
  for (const f of ['serviceAccountName', 'nodeName', 'priorityClassName', 'schedulerName'])
    out.push(...validateString(spec[f], child(field, f), isDNS1123Subdomain));
  for (const f of ['hostname', 'subdomain']) out.push(...validateString(spec[f], child(field, f), isDNS1123Label));
  out.push(...validateTolerations(spec.tolerations, child(field, 'tolerations')));
  asArr(spec.imagePullSecrets).forEach((s, i) => {
    if (isObj(s) && (s.name === undefined || s.name === '')) out.push(cause.required(child(field, 'imagePullSecrets', i, 'name')));
  });
  return dedupeCauses(out);
}
