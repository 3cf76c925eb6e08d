// Which Ingresses a proxy serves: those of an IngressClass whose controller is this proxy's
// (spec.ingressClassName, or the deprecated kubernetes.io/ingress.class annotation), and those with no
// class when the default IngressClass is one of them — the default being the class annotated
// ingressclass.kubernetes.io/is-default-class: "true" (the newest, when several are, as kube's
// DefaultIngressClass admission picks).
import type { Ingress, IngressClass } from '@skiff/api';

export const CONTROLLER = 'skiff.io/ingress-proxy';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export function defaultClass(classes: readonly IngressClass[]): IngressClass | undefined {
  let best: IngressClass | undefined;
  for (const c of classes) {
    if (c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] !== 'true') continue;
    if (!best || (c.metadata.creationTimestamp ?? '') > (best.metadata.creationTimestamp ?? '')) best = c;
  }
  return best;
}

/** A predicate: is this Ingress one of `controller`'s, given the classes there are? */
export function servedBy(controller: string, classes: readonly IngressClass[]): (ing: Ingress) => boolean {
  const ours = new Set(classes.filter((c) => c.spec?.controller === controller).map((c) => c.metadata.name));
  const dflt = defaultClass(classes);
  const defaultIsOurs = !!dflt && ours.has(dflt.metadata.name);
  return (ing) => {
    const name = ing.spec?.ingressClassName || ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
    return name ? ours.has(name) : defaultIsOurs;
  };
}

/** The class a proxy creates when it does not exist: default unless another class already is. */
export function classToCreate(name: string, controller: string, classes: readonly IngressClass[]): IngressClass | undefined {
  if (classes.some((c) => c.metadata.name === name)) return undefined;
  const markDefault = !defaultClass(classes);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, ...(markDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}) },
    spec: { controller },
  };
}
