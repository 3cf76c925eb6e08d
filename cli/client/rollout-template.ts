// A pod template as kubectl's describe.DescribePodTemplate writes it (`rollout history --revision N`,
// `rollout undo --dry-run=client`): `Key:\tvalue` lines through a prefix writer, tabs left as they are.
import type { Obj } from './rollout-targets.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_ANNOTATION_LEN = 140;

const sortedKeys = (m: Record<string, unknown>) => Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const orNone = (s: string) => (s === '' ? '<none>' : s);
const shorten = (s: string, n: number) => (s.length > n ? s.slice(0, n) + '...' : s);

/** `  Labels:\tk=v` then `\tk=v` per further label; `<none>` when empty. */
function labelLines(title: string, m: Record<string, string> | undefined): string {
  const keys = sortedKeys(m ?? {});
  if (!keys.length) return `${title}:\t<none>\n`;
  return keys.map((k, i) => `${i === 0 ? `${title}:\t` : '\t'}${k}=${m![k]}\n`).join('');
}

function annotationLines(title: string, m: Record<string, string>): string {
  const keys = sortedKeys(m).filter((k) => k !== LAST_APPLIED);
  if (!keys.length) return `${title}:\t<none>\n`;
  let out = `${title}:\t`;
  keys.forEach((k, i) => {
    if (i) out += '\t';
    const v = m[k]!.replace(/\n$/, '');
    if (v.length + k.length + 2 > MAX_ANNOTATION_LEN || v.includes('\n')) {
      out += `${k}:\n` + v.split('\n').map((s) => `\t  ${shorten(s, MAX_ANNOTATION_LEN - 2)}\n`).join('');
    } else out += `${k}: ${v}\n`;
  });
  return out;
}

const intOrString = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** describe.DescribeProbe */
export function describeProbe(p: Obj): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 0}s period=${p.periodSeconds ?? 0}s #success=${p.successThreshold ?? 0} #failure=${p.failureThreshold ?? 0}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const g = p.httpGet;
    const port = intOrString(g.port);
    const host = g.host ?? '';
    const hostPort = port ? (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`) : host;
    return `http-get ${String(g.scheme ?? '').toLowerCase()}://${hostPort}${g.path ?? ''} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${intOrString(p.tcpSocket.port)} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

function ports(c: Obj, host: boolean): string {
  return ((c.ports ?? []) as Obj[]).map((p) => `${host ? p.hostPort ?? 0 : p.containerPort}/${p.protocol ?? ''}`).join(', ');
}

function containerLines(label: string, containers: Obj[]): string {
  let out = `  ${label}:${containers.length ? '' : ' <none>'}\n`;
  for (const c of containers) {
    out += `   ${c.name}:\n`;
    out += `    Image:\t${c.image ?? ''}\n`;
    const p = ports(c, false);
    out += p.includes(',') ? `    Ports:\t${p}\n` : `    Port:\t${orNone(p)}\n`;
    const hp = ports(c, true);
    out += hp.includes(',') ? `    Host Ports:\t${hp}\n` : `    Host Port:\t${orNone(hp)}\n`;
    const seccomp = c.securityContext?.seccompProfile;
    if (seccomp) {
      out += `    SeccompProfile:\t${seccomp.type ?? ''}\n`;
      if (seccomp.type === 'Localhost') out += `      LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`;
    }
    for (const [title, list] of [
      ['Command', c.command],
      ['Args', c.args],
    ] as const) {
      if (!list?.length) continue;
      out += `    ${title}:\n`;
      for (const s of list as string[]) for (const l of s.split('\n')) out += `      ${l}\n`;
    }
    for (const [title, m] of [
      ['Limits', c.resources?.limits],
      ['Requests', c.resources?.requests],
    ] as const) {
      const keys = sortedKeys(m ?? {});
      if (!keys.length) continue;
      out += `    ${title}:\n` + keys.map((k) => `      ${k}:\t${m[k]}\n`).join('');
    }
    if (c.livenessProbe) out += `    Liveness:\t${describeProbe(c.livenessProbe)}\n`;
    if (c.readinessProbe) out += `    Readiness:\t${describeProbe(c.readinessProbe)}\n`;
    if (c.startupProbe) out += `    Startup:\t${describeProbe(c.startupProbe)}\n`;
    if (c.envFrom?.length) {
      out += '    Environment Variables from:\n';
      for (const e of c.envFrom as Obj[]) {
        const ref = e.configMapRef ?? e.secretRef;
        const from = e.configMapRef ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
        const opt = ref?.optional === true;
        out += e.prefix ? `      ${ref?.name ?? ''}\t${from} with prefix '${e.prefix}'\tOptional: ${opt}\n` : `      ${ref?.name ?? ''}\t${from}\tOptional: ${opt}\n`;
      }
    }
    out += envLines(c);
    const mounts = [...((c.volumeMounts ?? []) as Obj[])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
    out += `    Mounts:${mounts.length ? '' : '\t<none>'}\n`;
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path=${JSON.stringify(m.subPath)}`] : [])];
      out += `      ${m.mountPath} from ${m.name} (${flags.join(',')})\n`;
    }
    if (c.volumeDevices?.length) {
      out += '    Devices:\n';
      for (const d of c.volumeDevices as Obj[]) out += `      ${d.devicePath} from ${d.name}\n`;
    }
  }
  return out;
}

function envLines(c: Obj): string {
  const env = (c.env ?? []) as Obj[];
  let out = `    Environment:${env.length ? '' : '\t<none>'}\n`;
  for (const e of env) {
    const vf = e.valueFrom;
    if (!vf) {
      String(e.value ?? '')
        .split('\n')
        .forEach((s, i) => (out += i === 0 ? `      ${e.name}:\t${s}\n` : `      \t${s}\n`));
    } else if (vf.fieldRef) out += `      ${e.name}:\t (${vf.fieldRef.apiVersion ?? ''}:${vf.fieldRef.fieldPath})\n`;
    else if (vf.resourceFieldRef) out += `      ${e.name}:\t (${vf.resourceFieldRef.resource})\n`;
    else if (vf.secretKeyRef) out += `      ${e.name}:\t<set to the key '${vf.secretKeyRef.key}' in secret '${vf.secretKeyRef.name}'>\tOptional: ${vf.secretKeyRef.optional === true}\n`;
    else if (vf.configMapKeyRef) out += `      ${e.name}:\t<set to the key '${vf.configMapKeyRef.key}' of config map '${vf.configMapKeyRef.name}'>\tOptional: ${vf.configMapKeyRef.optional === true}\n`;
  }
  return out;
}

/** The common volume sources as kubectl prints them; the rarer ones by their field name. */
function volumeLines(volumes: Obj[]): string {
  if (!volumes.length) return '  Volumes:\t<none>\n';
  let out = '  Volumes:\n';
  for (const v of volumes) {
    out += `   ${v.name}:\n`;
    if (v.hostPath) out += `    Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path}\n    HostPathType:\t${v.hostPath.type || '<none>'}\n`;
    else if (v.emptyDir) out += `    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t${v.emptyDir.sizeLimit ?? '<unset>'}\n`;
    else if (v.secret) out += `    Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v.secret.secretName ?? ''}\n    Optional:\t${v.secret.optional === true}\n`;
    else if (v.configMap) out += `    Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v.configMap.name ?? ''}\n    Optional:\t${v.configMap.optional === true}\n`;
    else if (v.persistentVolumeClaim)
      out += `    Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${v.persistentVolumeClaim.claimName}\n    ReadOnly:\t${v.persistentVolumeClaim.readOnly === true}\n`;
    else {
      const kind = Object.keys(v).find((k) => k !== 'name');
      out += kind ? `    Type:\t${kind[0]!.toUpperCase()}${kind.slice(1)}\n` : '  <unknown>\n';
    }
  }
  return out;
}

function tolerationLines(tols: Obj[]): string {
  if (!tols.length) return '  Tolerations:\t<none>\n';
  const sorted = [...tols].sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
  return sorted
    .map((t, i) => {
      let s = i === 0 ? '  Tolerations:\t' : '\t';
      s += t.key ?? '';
      if (t.value) s += `=${t.value}`;
      if (t.effect) s += `:${t.effect}`;
      if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
      if (typeof t.tolerationSeconds === 'number') s += ` for ${t.tolerationSeconds}s`;
      return s + '\n';
    })
    .join('');
}

export function describePodTemplate(t: Obj | undefined): string {
  if (!t) return 'Pod Template:\n  <unset>';
  const md = t.metadata ?? {};
  const spec = t.spec ?? {};
  let out = 'Pod Template:\n';
  out += labelLines('  Labels', md.labels);
  if (md.annotations && Object.keys(md.annotations).length) out += annotationLines('  Annotations', md.annotations);
  if (spec.serviceAccountName) out += `  Service Account:\t${spec.serviceAccountName}\n`;
  if (spec.initContainers?.length) out += containerLines('Init Containers', spec.initContainers);
  out += containerLines('Containers', spec.containers ?? []);
  out += volumeLines(spec.volumes ?? []);
  if (spec.topologySpreadConstraints?.length) {
    const tscs = [...(spec.topologySpreadConstraints as Obj[])].sort((a, b) => (a.topologyKey < b.topologyKey ? -1 : a.topologyKey > b.topologyKey ? 1 : 0));
    out += '  Topology Spread Constraints:\t';
    tscs.forEach((c, i) => (out += `${i ? '  \t' : ''}${c.topologyKey}:${c.whenUnsatisfiable} when max skew ${c.maxSkew} is exceeded\n`));
  }
  if (spec.priorityClassName) out += `  Priority Class Name:\t${spec.priorityClassName}\n`;
  out += labelLines('  Node-Selectors', spec.nodeSelector);
  out += tolerationLines(spec.tolerations ?? []);
  return out;
}
