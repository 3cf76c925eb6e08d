// The reconcile of the endpointslice controller (keys: Services, "namespace/name"): for a Service with
// a selector, the EndpointSlices of its pods (reconciler.ts, topology.ts) and its legacy Endpoints
// (legacy-endpoints.ts), as kube-controller-manager's endpointslice and endpoints controllers keep
// them. Pod changes that matter to an endpoint (labels, IPs, readiness, deletion, node, hostname)
// enqueue the Services selecting the pod; slice and Endpoints changes enqueue their Service; Node
// changes re-run the Services whose hints or zones they change.
//  - A slice write is followed by no decision from the informer until it has caught up with the
//    write (kube's endpointSliceTracker): a stale cache would otherwise create a second slice.
//  - Selector-less and ExternalName Services are left alone (their slices are someone else's).
//  - A deleted Service's slices and Endpoints are deleted (the garbage collector would delete the
//    slices too, by their ownerReference; doing it here keeps distributions without it clean).
//  - A targetPort name no container of a pod has leaves that pod out of the slices for that port;
//    a Warning Event on the Service names the pod and port, once until it changes.
import { ENDPOINT_SLICES, ENDPOINTS, isPodReady, NODES, PODS, SERVICES, type EndpointSlice, type Endpoints, type Node, type Pod, type Service } from '@skiff/api';
import { objectKey, semanticJson, splitKey, WriteTracker, type ControllerRuntime, type Reconcile } from '@skiff/client';
import type { KObject } from '@skiff/kernel';
import { addressTypesFor, CONTROLLER_NAME, hasSelector, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_ZONE, podIPs } from './desired.ts';
import { ANNOTATION_OVER_CAPACITY, endpointsLabels, endpointSubsets } from './legacy-endpoints.ts';
import { desiredGroups, planSlices, recycleDeletes, type SlicePlan } from './reconciler.ts';
import { hintsEnabled, TopologyCache } from './topology.ts';

export interface EndpointSliceConfig {
  /** endpoints per slice at most (kube: --max-endpoints-per-slice) */
  maxEndpointsPerSlice: number;
  /** also write legacy core/v1 Endpoints (kube's endpoints controller) */
  legacyEndpoints: boolean;
}

/** managed slices by their Service's key */
const SLICE_SERVICE_INDEX = 'endpointslice-service';
/** pods by node name */
const POD_NODE_INDEX = 'spec.nodeName';
const MISSING_NODE_RETRY_MS = 5000;

const same = (a: unknown, b: unknown) => semanticJson(a) === semanticJson(b);
const code = (e: unknown) => (e as { code?: number })?.code;

const sliceServiceKey = (o: KObject): string[] => {
  const l = o.metadata.labels ?? {};
  const svc = l[LABEL_SERVICE_NAME];
  return svc && l[LABEL_MANAGED_BY] === CONTROLLER_NAME ? [`${o.metadata.namespace}/${svc}`] : [];
};

/** What of a pod its endpoints depend on (kube's podEndpointsChanged). */
const podFingerprint = (p: Pod) =>
  JSON.stringify([
    p.metadata.labels ?? {},
    podIPs(p),
    isPodReady(p),
    p.metadata.deletionTimestamp ?? '',
    p.status?.phase ?? '',
    p.spec?.nodeName ?? '',
    p.spec?.hostname ?? '',
    p.spec?.subdomain ?? '',
  ]);

const selects = (svc: Service, labels: Record<string, string> | undefined) =>
  hasSelector(svc) && Object.entries(svc.spec!.selector!).every(([k, v]) => labels?.[k] === v);

export function setupEndpointSlices(c: ControllerRuntime<EndpointSliceConfig>): Reconcile {
  const max = c.config.maxEndpointsPerSlice;
  const services = c.informer<Service>(SERVICES);
  const pods = c.informer<Pod>(PODS);
  const nodes = c.informer<Node>(NODES);
  const slices = c.informer<EndpointSlice>(ENDPOINT_SLICES);
  const endpoints = c.config.legacyEndpoints ? c.informer<Endpoints>(ENDPOINTS) : undefined;
  slices.addIndexers({ [SLICE_SERVICE_INDEX]: sliceServiceKey });
  pods.addIndexers({ [POD_NODE_INDEX]: (p) => ((p as Pod).spec?.nodeName ? [(p as Pod).spec!.nodeName!] : []) });
  const tracker = new WriteTracker();
  const topology = new TopologyCache();
  /** Event messages last reported per Service (each reported once until it goes away) */
  const reported = new Map<string, Set<string>>();
  const stats = { slicesCreated: 0, slicesUpdated: 0, slicesDeleted: 0, endpointsWritten: 0 };

  const servicesOf = (p: Pod, old?: Pod): string[] => {
    const out = new Set<string>();
    for (const svc of services.lister.list(p.metadata.namespace))
      if (selects(svc, p.metadata.labels) || (old && selects(svc, old.metadata.labels))) out.add(objectKey(svc));
    return [...out];
  };
  const offs = [
    pods.addEventHandler({
      onAdd: (p) => servicesOf(p).forEach((k) => c.enqueue(k)),
      onUpdate: (old, p) => podFingerprint(old) !== podFingerprint(p) && servicesOf(p, old).forEach((k) => c.enqueue(k)),
      onDelete: (p) => servicesOf(p).forEach((k) => c.enqueue(k)),
    }),
    slices.addEventHandler({
      onAdd: (s) => (tracker.observe(s), sliceServiceKey(s).forEach((k) => c.enqueue(k))),
      onUpdate: (_, s) => (tracker.observe(s), sliceServiceKey(s).forEach((k) => c.enqueue(k))),
      onDelete: (s) => (tracker.observe(s, true), sliceServiceKey(s).forEach((k) => c.enqueue(k))),
    }),
  ];
  if (endpoints)
    offs.push(
      endpoints.addEventHandler({
        // (a reconcile waiting for this write to be seen runs again; a deleted one is written again)
        onAdd: (e) => (tracker.observe(e), c.enqueue(e)),
        onUpdate: (_, e) => (tracker.observe(e), c.enqueue(e)),
        onDelete: (e) => (tracker.observe(e, true), c.enqueue(e)),
      }),
    );
  // Nodes: the zones' CPU shares (hints), and the zone of each endpoint on the node
  const nodeChanged = (n: Node, old?: Node) => {
    if (topology.setNodes(nodes.lister.list())) for (const s of services.lister.list()) if (hintsEnabled(s)) c.enqueue(s);
    if (old && old.metadata.labels?.[LABEL_ZONE] === n.metadata.labels?.[LABEL_ZONE]) return;
    for (const p of pods.indexer.byIndex(POD_NODE_INDEX, n.metadata.name!)) servicesOf(p).forEach((k) => c.enqueue(k));
  };
  offs.push(
    nodes.addEventHandler({
      onAdd: (n) => nodeChanged(n),
      onUpdate: (old, n) => old.metadata.resourceVersion !== n.metadata.resourceVersion && nodeChanged(n, old),
      onDelete: (n) => nodeChanged(n),
    }),
  );
  c.signal.addEventListener('abort', () => offs.forEach((off) => off()), { once: true });
  c.onLeading(() => void topology.setNodes(nodes.lister.list()));

  /** Record the Events not recorded at the last reconcile of the Service (a problem is reported once while it lasts). */
  const report = (svc: Service, key: string, messages: { type: 'Normal' | 'Warning'; reason: string; message: string }[]) => {
    const seen = reported.get(key) ?? new Set<string>();
    const now = new Set<string>();
    for (const e of messages) {
      const id = `${e.reason}\0${e.message}`;
      now.add(id);
      if (!seen.has(id)) c.recorder.record(svc, e);
    }
    if (now.size) reported.set(key, now);
    else reported.delete(key);
  };

  /** Delete what this controller wrote for a Service that is gone. */
  const cleanup = async (key: string, namespace: string, name: string) => {
    tracker.forget(key);
    topology.forget(key);
    reported.delete(key);
    for (const s of slices.indexer.byIndex(SLICE_SERVICE_INDEX, key)) await del(s, key);
    const ep = endpoints?.lister.get(namespace, name);
    if (ep) await remove(ENDPOINTS, ep);
  };
  const remove = async (ref: typeof ENDPOINTS, o: KObject) => {
    try {
      await c.kernel.delete(ref, o.metadata.namespace, o.metadata.name!, { preconditions: { uid: o.metadata.uid } });
    } catch (e) {
      if (code(e) !== 404 && code(e) !== 409) throw e;
    }
  };
  const del = async (s: EndpointSlice, key: string) => {
    await remove(ENDPOINT_SLICES, s);
    tracker.deleted(key, s, slices.indexer.get(objectKey(s)));
    stats.slicesDeleted++;
  };

  const writeEndpoints = async (svc: Service, key: string, podList: Pod[]) => {
    if (!endpoints) return;
    const { subsets, truncated } = endpointSubsets(svc, podList);
    const labels = endpointsLabels(svc);
    const cur = endpoints.lister.get(svc.metadata.namespace, svc.metadata.name!);
    const annotations = { ...(cur?.metadata.annotations ?? {}) };
    if (truncated) annotations[ANNOTATION_OVER_CAPACITY] = 'truncated';
    else delete annotations[ANNOTATION_OVER_CAPACITY];
    if (cur && same(cur.subsets ?? [], subsets) && same(cur.metadata.labels ?? {}, labels) && same(cur.metadata.annotations ?? {}, annotations)) return;
    const body: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(cur?.metadata ?? { name: svc.metadata.name, namespace: svc.metadata.namespace }), labels, annotations },
      subsets,
    };
    const written = cur ? await c.kernel.update(ENDPOINTS, body, { fieldManager: c.name }) : await c.kernel.create(ENDPOINTS, body, { fieldManager: c.name });
    tracker.wrote(key, written, endpoints.indexer.get(objectKey(written)));
    stats.endpointsWritten++;
  };

  const reportStats = () => c.reportRuntime({ ...stats, services: services.indexer.size, tracked: tracker.size });

  return async (key) => {
    const { namespace = '', name } = splitKey(key);
    const svc = services.lister.get(namespace, name);
    if (!svc) return void (await cleanup(key, namespace, name));
    if (!hasSelector(svc)) {
      topology.forget(key);
      return;
    }
    // decide only from a cache that has seen this controller's own last writes (their events re-enqueue)
    if (!tracker.caughtUp(key)) return;
    const podList = pods.lister.list(namespace, (l: Record<string, string>) => selects(svc, l));
    const existing = slices.indexer.byIndex(SLICE_SERVICE_INDEX, key);
    const types = addressTypesFor(svc, podList);
    const plan: SlicePlan = { create: [], update: [], delete: existing.filter((s) => !types.includes(s.addressType)), unchanged: [] };
    const events: { type: 'Normal' | 'Warning'; reason: string; message: string }[] = [];
    let missingNode = false;
    for (const type of types) {
      const { groups, problems } = desiredGroups(svc, podList, type, (n) => nodes.lister.get(undefined, n));
      let p = planSlices(svc, type, existing.filter((s) => s.addressType === type), groups, max);
      events.push(...topology.apply(key, svc, type, p));
      p = recycleDeletes(svc, p);
      plan.create.push(...p.create);
      plan.update.push(...p.update);
      plan.delete.push(...p.delete);
      if (problems.missingNode.length) missingNode = true;
      if (type === types[0])
        for (const m of problems.missingPort)
          events.push({
            type: 'Warning',
            reason: 'FailedToResolvePort',
            message: `Pod ${m.pod} has no container port named "${m.targetPort}": it is left out of the endpoints for Service port ${m.port}`,
          });
    }
    report(svc, key, events);
    for (const s of plan.create) {
      const written = (await c.kernel.create(ENDPOINT_SLICES, s, { fieldManager: c.name })) as EndpointSlice;
      tracker.wrote(key, written, slices.indexer.get(objectKey(written)));
      stats.slicesCreated++;
    }
    for (const s of plan.update) {
      const written = (await c.kernel.update(ENDPOINT_SLICES, s, { fieldManager: c.name })) as EndpointSlice;
      tracker.wrote(key, written, slices.indexer.get(objectKey(written)));
      stats.slicesUpdated++;
    }
    for (const s of plan.delete) await del(s, key);
    await writeEndpoints(svc, key, podList);
    if (plan.create.length + plan.update.length + plan.delete.length) reportStats();
    // a pod on a Node this process does not know (yet): tried again, as kube does
    if (missingNode) return { requeueAfterMs: MISSING_NODE_RETRY_MS };
  };
}
