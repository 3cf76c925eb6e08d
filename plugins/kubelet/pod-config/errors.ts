// The errors building a container's config can end in. The kubelet shows them as the container's
// waiting state: reason CreateContainerConfigError and the message (Kubernetes' wording, e.g.
// `configmap "x" not found`, `couldn't find key y in ConfigMap ns/x`).

export const CREATE_CONTAINER_CONFIG_ERROR = 'CreateContainerConfigError';

export class ContainerConfigError extends Error {
  /** the container's waiting reason */
  readonly reason = CREATE_CONTAINER_CONFIG_ERROR;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContainerConfigError';
  }
}

export function isContainerConfigError(e: unknown): e is ContainerConfigError {
  return e instanceof ContainerConfigError;
}

/** A volume that could not be set up (the kubelet's FailedMount event; the pod stays ContainerCreating). */
export class VolumeError extends Error {
  readonly volume: string;
  constructor(volume: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VolumeError';
    this.volume = volume;
  }
}
