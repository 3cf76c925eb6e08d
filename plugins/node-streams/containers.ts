// A pod's container as the runtime holds it, found by the labels the kubelet puts on every CRI
// container (the CRI labels of @skiff/node-api): the current attempt (the newest), or the previous one
// (the dead container with the highest attempt below the current's).
import { CONTAINER_NAME, POD_NAME, POD_NAMESPACE, POD_UID, type Container, type CriRuntime } from '@skiff/node-api';

export interface ContainerRef {
  namespace: string;
  pod: string;
  /** the pod's uid: without it, every pod of that name that the runtime still holds counts */
  uid?: string;
  container: string;
}

/** The pod's containers of that name, newest first (highest attempt, then latest created). */
export async function attemptsOf(cri: CriRuntime, ref: ContainerRef): Promise<Container[]> {
  const labelSelector: Record<string, string> = { [POD_NAMESPACE]: ref.namespace, [POD_NAME]: ref.pod, [CONTAINER_NAME]: ref.container };
  if (ref.uid) labelSelector[POD_UID] = ref.uid;
  const all = await cri.listContainers({ labelSelector });
  return all.sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0) || b.createdAt - a.createdAt);
}

export function currentOf(attempts: Container[]): Container | undefined {
  return attempts[0];
}

export function previousOf(attempts: Container[]): Container | undefined {
  const current = attempts[0];
  if (!current) return undefined;
  const attempt = current.metadata?.attempt ?? 0;
  return attempts.find((c) => c !== current && c.state === 'CONTAINER_EXITED' && (c.metadata?.attempt ?? 0) < attempt);
}
