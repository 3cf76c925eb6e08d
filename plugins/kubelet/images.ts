// Making sure a container's image is there, per its imagePullPolicy (kubelet's image manager):
// Always / IfNotPresent / Never, with the default Kubernetes gives (Always for `:latest` or no tag,
// else IfNotPresent). Pull failures back off per image (ImagePullBackOff).
//
// One deliberate difference, for clusters without a registry (this project's machines): when
// policy Always cannot pull but the image is already present, the local copy is used and the
// caller is told (a Warning event), instead of failing the pod with ErrImagePull.
import type { CriRuntime, Input, PodSandboxConfig } from '@skiff/plugin-cri-containerd';
import { CrashLoopBackoff } from './backoff.ts';

export class ImageError extends Error {
  constructor(
    /** ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export function defaultPullPolicy(image: string): string {
  const name = image.split('@')[0];
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : '';
  return image.includes('@') ? 'IfNotPresent' : tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export class ImageManager {
  private readonly backoff = new CrashLoopBackoff({ initialMs: 10_000, maxMs: 300_000 });
  private readonly lastFailure = new Map<string, { at: number; message: string }>();

  constructor(private readonly cri: CriRuntime) {}

  /**
   * The image's reference (id) for CreateContainer. `warn` hears about a pull that failed where
   * the local copy was used.
   */
  async ensure(image: string, policy: string | undefined, sandbox: Input<PodSandboxConfig>, warn: (message: string) => void): Promise<string> {
    if (!image) throw new ImageError('InvalidImageName', 'the container has no image');
    const pullPolicy = policy || defaultPullPolicy(image);
    const present = (await this.cri.imageStatus({ image })).image;
    if (pullPolicy === 'Never') {
      if (present) return present.id;
      throw new ImageError('ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
    }
    if (present && pullPolicy === 'IfNotPresent') return present.id;
    const failed = this.lastFailure.get(image);
    if (failed && !present) {
      const wait = this.backoff.wait(image, failed.at, failed.at);
      if (wait > 0) throw new ImageError('ImagePullBackOff', `Back-off pulling image "${image}": ${failed.message}`);
    }
    try {
      const ref = await this.cri.pullImage({ image }, undefined, sandbox, { timeoutMs: 300_000 });
      this.lastFailure.delete(image);
      return ref;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (present) {
        warn(`Failed to pull image "${image}" (${message}); using the image already on the node`);
        return present.id;
      }
      this.lastFailure.set(image, { at: Date.now(), message });
      throw new ImageError('ErrImagePull', `failed to pull and unpack image "${image}": ${message}`);
    }
  }
}
