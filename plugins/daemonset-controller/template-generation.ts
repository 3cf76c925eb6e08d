// The deprecated.daemonset.template.generation annotation, as kube-apiserver's DaemonSet strategy keeps
// it (spec.templateGeneration of the internal type): 1 on create; on update the stored value, plus one
// when spec.template changed; clients cannot set it. Installed as a mutating admission handler (it
// belongs in the kernel's DaemonSet kind; see the report). Handlers run before defaulting, so an
// update whose template lacks defaults the stored one has counts as a change: an extra bump is
// harmless (pods are matched by revision hash or generation), a missed one would not be.
import type { AdmissionHandler, AdmissionRequest, KObject } from '@skiff/kernel';
import { semanticJson } from '@skiff/client';
import { TEMPLATE_GENERATION_ANNOTATION } from './pod-template.ts';

const generationOf = (o: KObject | undefined): number => {
  const v = o?.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
};
const templateOf = (o: KObject | undefined) => (o?.spec as { template?: unknown } | undefined)?.template;

/** The annotation value the object should be written with. */
export function nextTemplateGeneration(req: Pick<AdmissionRequest, 'operation' | 'object' | 'oldObject' | 'subresource'>): number {
  if (req.operation === 'CREATE' || !req.oldObject) return 1;
  const old = generationOf(req.oldObject);
  if (req.subresource) return old;
  // apiequality.Semantic.DeepEqual: nil and empty maps and lists are equal
  return semanticJson(templateOf(req.object)) === semanticJson(templateOf(req.oldObject)) ? old : old + 1;
}

export const templateGenerationAdmission: AdmissionHandler = {
  name: 'daemonset-template-generation',
  phase: 'mutating',
  failurePolicy: 'Fail',
  match: (req) => req.kind.group === 'apps' && req.kind.kind === 'DaemonSet' && (req.operation === 'CREATE' || req.operation === 'UPDATE'),
  handle(req) {
    if (req.subresource) return;
    const value = String(nextTemplateGeneration(req));
    if (req.object.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION] === value) return;
    return { ...req.object, metadata: { ...req.object.metadata, annotations: { ...(req.object.metadata.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: value } } };
  },
};
