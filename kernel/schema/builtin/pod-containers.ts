// Container validation (containers and initContainers of a PodSpec).
import { asArr, cause, child, isObj, key, type Obj, type StatusCause } from '../causes.ts';
import { isExtendedResourceName, tryParseQuantity } from '@skiff/api';
import {
  isDNS1123Label,
  isEnvVarName,
  isIanaSvcName,
  isQualifiedName,
  validateEnum,
  validatePortNumber,
  validateProtocol,
  validateQuantity,
  validateString,
} from '../validation.ts';

const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage']);

function validateResourceName(name: string, field: string): StatusCause[] {
  const errs = isQualifiedName(name);
  if (errs.length) return errs.map((m) => cause.invalid(field, name, m));
  if (!name.includes('/') && !STANDARD_RESOURCES.has(name) && !name.startsWith('hugepages-'))
    return [cause.invalid(field, name, 'must be a standard resource type or fully qualified')];
  return [];
}

/**
 * requests/limits of a container: names, quantities, requests <= limits; extended resources
 * (devices: example.com/widget) in whole numbers, never overcommitted — a request needs a limit
 * equal to it (kube's ValidateResourceRequirements).
 */
export function validateResourceRequirements(res: unknown, field: string): StatusCause[] {
  if (!isObj(res)) return [];
  const out: StatusCause[] = [];
  const limits = isObj(res.limits) ? res.limits : {};
  const requests = isObj(res.requests) ? res.requests : {};
  for (const [list, name] of [
    [limits, 'limits'],
    [requests, 'requests'],
  ] as const) {
    for (const [k, v] of Object.entries(list)) {
      const f = key(child(field, name), k);
      out.push(...validateResourceName(k, f), ...validateQuantity(v, f));
    }
  }
  for (const [list, name] of [
    [limits, 'limits'],
    [requests, 'requests'],
  ] as const) {
    for (const [k, v] of Object.entries(list)) {
      const q = tryParseQuantity(v);
      if (isExtendedResourceName(k) && q !== undefined && !Number.isInteger(q)) out.push(cause.invalid(key(child(field, name), k), String(v), 'must be an integer'));
    }
  }
  for (const [k, v] of Object.entries(requests)) {
    const req = tryParseQuantity(v);
    const lim = tryParseQuantity(limits[k]);
    if (isExtendedResourceName(k)) {
      if (limits[k] === undefined) out.push(cause.required(child(field, 'limits'), 'Limit must be set for non overcommitable resources'));
      else if (req !== undefined && lim !== undefined && req !== lim)
        out.push(cause.invalid(key(child(field, 'requests'), k), String(v), `must be equal to ${k} limit of ${String(limits[k])}`));
      continue;
    }
    if (req !== undefined && lim !== undefined && req > lim)
      out.push(cause.invalid(child(field, 'requests'), String(v), `must be less than or equal to ${k} limit of ${String(limits[k])}`));
  }
  return out;
}

function validatePorts(ports: unknown, field: string, hostNetwork: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const names = new Set<string>();
  asArr(ports).forEach((p, i) => {
    const f = child(field, i);
    if (!isObj(p)) return;
    if (p.name !== undefined && p.name !== null && p.name !== '' && typeof p.name === 'string') {
      out.push(...isIanaSvcName(p.name).map((m) => cause.invalid(child(f, 'name'), p.name, m)));
      if (names.has(p.name)) out.push(cause.duplicate(child(f, 'name'), p.name));
      names.add(p.name);
    }
    out.push(...validatePortNumber(p.containerPort, child(f, 'containerPort'), { required: true }));
    out.push(...validatePortNumber(p.hostPort, child(f, 'hostPort')));
    if (p.protocol === undefined || p.protocol === null || p.protocol === '') out.push(cause.required(child(f, 'protocol')));
    else out.push(...validateProtocol(p.protocol, child(f, 'protocol')));
    if (hostNetwork && typeof p.hostPort === 'number' && p.hostPort !== 0 && p.hostPort !== p.containerPort)
      out.push(cause.invalid(child(f, 'hostPort'), p.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
  });
  return out;
}

const ENV_SOURCES = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'];

function validateEnv(env: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  asArr(env).forEach((e, i) => {
    const f = child(field, i);
    if (!isObj(e)) return;
    out.push(...validateString(e.name, child(f, 'name'), isEnvVarName, { required: true }));
    if (isObj(e.valueFrom)) {
      const vf = e.valueFrom;
      const n = ENV_SOURCES.filter((s) => vf[s] !== undefined && vf[s] !== null).length;
      if (typeof e.value === 'string' && e.value !== '')
        out.push(cause.invalid(child(f, 'valueFrom'), '', 'may not be specified when `value` is not empty'));
      if (n === 0) out.push(cause.invalid(child(f, 'valueFrom'), '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (n > 1) out.push(cause.invalid(child(f, 'valueFrom'), '', 'may not have more than one field specified at a time'));
    }
  });
  return out;
}

function validateMounts(mounts: unknown, field: string, volumes: Set<string>): StatusCause[] {
  const out: StatusCause[] = [];
  const paths = new Set<string>();
  asArr(mounts).forEach((m, i) => {
    const f = child(field, i);
    if (!isObj(m)) return;
    if (m.name === undefined || m.name === null || m.name === '') out.push(cause.required(child(f, 'name')));
    else if (typeof m.name === 'string' && !volumes.has(m.name)) out.push(cause.notFound(child(f, 'name'), m.name));
    if (m.mountPath === undefined || m.mountPath === null || m.mountPath === '') out.push(cause.required(child(f, 'mountPath')));
    else if (typeof m.mountPath === 'string') {
      if (paths.has(m.mountPath)) out.push(cause.invalid(child(f, 'mountPath'), m.mountPath, 'must be unique'));
      paths.add(m.mountPath);
    }
    if (typeof m.subPath === 'string' && (m.subPath.startsWith('/') || m.subPath.split('/').includes('..')))
      out.push(cause.invalid(child(f, 'subPath'), m.subPath, "must be a relative path without '..'"));
  });
  return out;
}

export interface ContainerContext {
  /** volume names declared in the pod spec */
  volumes: Set<string>;
  /** container names seen so far (shared by containers and initContainers) */
  names: Set<string>;
  init: boolean;
  hostNetwork: boolean;
}

export function validateContainer(c: Obj, f: string, ctx: ContainerContext): StatusCause[] {
  const out: StatusCause[] = [];
  if (c.name === undefined || c.name === null || c.name === '') out.push(cause.required(child(f, 'name')));
  else if (typeof c.name === 'string') {
    out.push(...isDNS1123Label(c.name).map((m) => cause.invalid(child(f, 'name'), c.name, m)));
    if (ctx.names.has(c.name)) out.push(cause.duplicate(child(f, 'name'), c.name));
    ctx.names.add(c.name);
  }
  if (c.image === undefined || c.image === null || c.image === '') out.push(cause.required(child(f, 'image')));
  else if (typeof c.image === 'string' && c.image.trim() !== c.image)
    out.push(cause.invalid(child(f, 'image'), c.image, 'must not have leading or trailing whitespace'));
  out.push(...validateEnum(c.imagePullPolicy, child(f, 'imagePullPolicy'), ['Always', 'IfNotPresent', 'Never']));
  out.push(...validateEnum(c.terminationMessagePolicy, child(f, 'terminationMessagePolicy'), ['File', 'FallbackToLogsOnError']));
  if (ctx.init) out.push(...validateEnum(c.restartPolicy, child(f, 'restartPolicy'), ['Always']));
  else if (c.restartPolicy !== undefined && c.restartPolicy !== null)
    out.push(cause.forbidden(child(f, 'restartPolicy'), 'may not be set for non-init containers'));
  out.push(...validatePorts(c.ports, child(f, 'ports'), ctx.hostNetwork));
  out.push(...validateEnv(c.env, child(f, 'env')));
  out.push(...validateResourceRequirements(c.resources, child(f, 'resources')));
  out.push(...validateMounts(c.volumeMounts, child(f, 'volumeMounts'), ctx.volumes));
  return out;
}

/** Validate a container list; `required` makes an empty/absent list a FieldValueRequired. */
export function validateContainers(list: unknown, field: string, ctx: ContainerContext, required: boolean): StatusCause[] {
  if (list === undefined || list === null || (Array.isArray(list) && list.length === 0))
    return required ? [cause.required(field)] : [];
  if (!Array.isArray(list)) return [cause.typeInvalid(field, list, 'must be an array')];
  const out: StatusCause[] = [];
  list.forEach((c, i) => {
    if (!isObj(c)) out.push(cause.typeInvalid(child(field, i), c, 'must be an object'));
    else out.push(...validateContainer(c, child(field, i), ctx));
  });
  return out;
}
