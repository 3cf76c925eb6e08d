// Test support: a host-network sandbox and busybox containers made directly through the CRI,
// labelled as the kubelet labels them (the CRI labels of @skiff/node-api), with their logs where the
// kubelet puts them.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import {
  CONTAINER_NAME, CONTAINER_RESTART_COUNT, containerLogPath, podLogDirectory, POD_NAME, POD_NAMESPACE, POD_UID,
  type CriRuntime, type Input, type PodSandboxConfig,
} from '@skiff/node-api';

/** on every sandbox and container made here, to find leftovers */
export const TEST_LABEL = 'skiff.io/test';

export interface TestPod {
  namespace: string;
  name: string;
  uid: string;
  sandboxId: string;
  logDirectory: string;
  /** creates and starts a container (attempt n of `name`); resolves with its id */
  run(container: string, command: string[], attempt?: number, io?: ContainerIo): Promise<string>;
  /** stops and removes the sandbox and its containers */
  remove(): Promise<void>;
}

/** a container's stdin and terminal, as a pod spec's stdin / stdinOnce / tty */
export interface ContainerIo {
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
}

export async function startTestPod(
  cri: CriRuntime,
  o: { namespace: string; name: string; uid?: string; logRoot: string; image: string; extraLabels?: Record<string, string> },
): Promise<TestPod> {
  const uid = o.uid ?? randomUUID();
  const logDirectory = podLogDirectory(o.logRoot, o.namespace, o.name, uid);
  mkdirSync(logDirectory, { recursive: true });
  const host = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } as const;
  // not the agent's managed-by label: a real agent on this machine would take these for its own
  // pods and remove them
  const podLabels = { [POD_NAMESPACE]: o.namespace, [POD_NAME]: o.name, [POD_UID]: uid, [TEST_LABEL]: 'node-streams', ...o.extraLabels };
  const sandboxConfig: Input<PodSandboxConfig> = {
    metadata: { name: o.name, uid, namespace: o.namespace, attempt: 0 },
    hostname: '',
    logDirectory,
    labels: podLabels,
    linux: { securityContext: { namespaceOptions: host } },
  };
  const sandboxId = await cri.runPodSandbox(sandboxConfig);
  return {
    namespace: o.namespace,
    name: o.name,
    uid,
    sandboxId,
    logDirectory,
    async run(container, command, attempt = 0, io = {}) {
      mkdirSync(`${logDirectory}/${container}`, { recursive: true });
      const id = await cri.createContainer(
        sandboxId,
        {
          metadata: { name: container, attempt },
          image: { image: o.image },
          command,
          labels: { ...podLabels, [CONTAINER_NAME]: container },
          annotations: { [CONTAINER_RESTART_COUNT]: String(attempt) },
          logPath: containerLogPath(container, attempt),
          linux: { securityContext: { namespaceOptions: host } },
          ...io,
        },
        sandboxConfig,
      );
      await cri.startContainer(id);
      return id;
    },
    async remove() {
      await cri.stopPodSandbox(sandboxId).catch(() => {});
      await cri.removePodSandbox(sandboxId).catch(() => {});
    },
  };
}
