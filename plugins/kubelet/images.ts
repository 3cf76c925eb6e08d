// Making sure a container's image is there, per its imagePullPolicy (kubelet's image manager):
// Always / IfNotPresent / Never, with the default Kubernetes gives (Always for `:latest` or no tag,
// else IfNotPresent). Pull failures back off per pod and image (ImagePullBackOff). Each step is an
// Event on the pod with kube's reason and message: Pulling, Pulled ("Successfully pulled image ...
// Image size: N bytes." or "Container image ... already present on machine"), Failed ("Failed to
// pull image ..."), BackOff ("Back-off pulling image ..."), ErrImageNeverPull, InspectFailed.
//
// Per pod start this costs one ImageStatus; a burst of pods with the same image shares one: an
// image found present is remembered for `presentTtlMs` (2 s), as long as nobody said otherwise
// (`forgetImage`, after a CreateContainer that did not find it). Only IfNotPresent / Never use the
// remembered answer; Always asks (and pulls) every time, as it says.
//
// One deliberate difference, for clusters without a registry (this project's machines): when
// policy Always cannot pull but the image is already present, the local copy is used (after the
// Failed event, a Pulled "already present" one) instead of failing the pod with ErrImagePull.
import type { CriRuntime, Input, PodSandboxConfig } from '@skiff/node-api';
import { CrashLoopBackoff } from './backoff.ts';
import { errorString, goDuration, Reason, type EventType } from './events.ts';

export class ImageError extends Error {
  constructor(
    /** the container's waiting reason: ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName, ImageInspectError */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type ImageEvent = (type: EventType, reason: string, message: string) => void;

export function defaultPullPolicy(image: string): string {
  const name = image.split('@')[0];
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : '';
  return image.includes('@') ? 'IfNotPresent' : tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export interface EnsureImage {
  /** the pod's uid (back-off is per pod and image, as kube's) */
  podUid: string;
  image: string;
  pullPolicy?: string;
  sandbox: Input<PodSandboxConfig>;
}

export class ImageManager {
  private readonly backoff = new CrashLoopBackoff({ initialMs: 10_000, maxMs: 300_000 });
  /** last failed pull per `${podUid}_${image}` */
  private readonly lastFailure = new Map<string, number>();
  /** images found present: image -> [its id, when]; in-flight lookups share one call */
  private readonly present = new Map<string, { id: Promise<string | undefined>; at: number }>();

  constructor(
    private readonly cri: CriRuntime,
    private readonly clock: () => number = Date.now,
    private readonly presentTtlMs = 2_000,
  ) {}

  /** Forget that an image was present (CreateContainer did not find it). */
  forgetImage(image: string): void {
    this.present.delete(image);
  }

  /** The id of a present image, asking the runtime at most once per TTL per image (and once for concurrent askers). */
  private async presentId(image: string): Promise<string | undefined> {
    const hit = this.present.get(image);
    if (hit && this.clock() - hit.at < this.presentTtlMs) {
      const id = await hit.id.catch(() => undefined);
      if (id) return id;
    }
    const id = this.cri.imageStatus({ image }).then((r) => r.image?.id || undefined);
    const entry = { id, at: this.clock() };
    this.present.set(image, entry);
    try {
      const v = await id;
      if (!v && this.present.get(image) === entry) this.present.delete(image); // only present images are remembered
      return v;
    } catch (e) {
      if (this.present.get(image) === entry) this.present.delete(image);
      throw e;
    }
  }

  /** The image's reference (id) for CreateContainer; throws an ImageError (the container's waiting reason and message). */
  async ensure(r: EnsureImage, event: ImageEvent): Promise<string> {
    const { image } = r;
    if (!image) {
      const message = 'Failed to apply default image tag "": couldn\'t parse image name "": invalid reference format';
      event('Warning', Reason.InspectFailed, message);
      throw new ImageError('InvalidImageName', message);
    }
    const pullPolicy = r.pullPolicy || defaultPullPolicy(image);
    let present: { id: string } | null | undefined;
    try {
      if (pullPolicy === 'Always') {
        present = (await this.cri.imageStatus({ image })).image;
      } else {
        const id = await this.presentId(image);
        present = id ? { id } : undefined;
      }
    } catch (e) {
      const message = `Failed to inspect image "${image}": ${errorString(e)}`;
      event('Warning', Reason.InspectFailed, message);
      throw new ImageError('ImageInspectError', message);
    }
    if (pullPolicy === 'Never' || (present && pullPolicy === 'IfNotPresent')) {
      if (present) {
        event('Normal', Reason.Pulled, `Container image "${image}" already present on machine`);
        return present.id;
      }
      const message = `Container image "${image}" is not present with pull policy of Never`;
      event('Warning', Reason.ErrImageNeverPull, message);
      throw new ImageError('ErrImageNeverPull', message);
    }
    const key = `${r.podUid}_${image}`;
    const failedAt = this.lastFailure.get(key);
    if (failedAt !== undefined && !present && this.backoff.wait(key, failedAt, failedAt, this.clock()) > 0) {
      const message = `Back-off pulling image "${image}"`;
      event('Normal', Reason.BackOff, message);
      throw new ImageError('ImagePullBackOff', message);
    }
    event('Normal', Reason.Pulling, `Pulling image "${image}"`);
    const start = this.clock();
    let ref: string;
    let size = 0;
    try {
      ref = await this.cri.pullImage({ image }, undefined, r.sandbox, { timeoutMs: 300_000 });
      // the size with best effort, as kube's puller
      size = (await this.cri.imageStatus({ image }).catch(() => undefined))?.image?.size ?? 0;
    } catch (e) {
      event('Warning', Reason.Failed, `Failed to pull image "${image}": ${errorString(e)}`);
      if (present) {
        event('Normal', Reason.Pulled, `Container image "${image}" already present on machine`);
        return present.id;
      }
      this.lastFailure.set(key, this.clock());
      throw new ImageError('ErrImagePull', errorString(e));
    }
    const took = goDuration(this.clock() - start);
    this.lastFailure.delete(key);
    event('Normal', Reason.Pulled, `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${size} bytes.`);
    return ref;
  }

  /** The pod is gone: its pull back-offs go too. */
  forgetPod(uid: string): void {
    for (const k of this.lastFailure.keys()) if (k.startsWith(`${uid}_`)) this.lastFailure.delete(k);
    this.backoff.forgetPrefix(`${uid}_`);
  }
}
