// events.k8s.io/v1 Event <-> core v1 Event (what the kernel stores), as Kubernetes converts them: one
// resource served in two groups (client-go's and client-node's new event recorders write
// events.k8s.io/v1; kubectl reads core v1). Renamed fields: regarding <-> involvedObject, note <->
// message, reportingController <-> reportingComponent, and the deprecated* fields <-> count,
// source, firstTimestamp, lastTimestamp; the rest (eventTime, series, action, reason, related,
// type, reportingInstance) is the same in both.
import type { KObject } from '@skiff/kernel';

type Obj = Record<string, unknown>;
const clean = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** [events.k8s.io/v1 name, core v1 name] */
const RENAMED: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedCount', 'count'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
];
const SAME = ['eventTime', 'series', 'action', 'reason', 'related', 'type', 'reportingInstance'];

function convert(o: KObject, apiVersion: string, pairs: [from: string, to: string][]): KObject {
  const src = o as unknown as Obj;
  const out: Obj = { apiVersion, kind: 'Event', metadata: o.metadata };
  for (const f of SAME) out[f] = src[f];
  for (const [from, to] of pairs) out[to] = src[from];
  return clean(out) as unknown as KObject;
}

/** A stored core v1 Event as events.k8s.io/v1 serves it. */
export function eventToEventsV1(o: KObject): KObject {
  return convert(o, 'events.k8s.io/v1', RENAMED.map(([v1, core]) => [core, v1]));
}

/** An events.k8s.io/v1 Event as the core v1 Event the kernel stores. */
export function eventsV1ToCore(o: KObject): KObject {
  return convert(o, 'v1', RENAMED);
}
