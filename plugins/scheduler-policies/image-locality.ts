// ImageLocality: favour nodes that already have the pod's images. Each image present counts its
// size scaled by the fraction of nodes that have it (so an image everywhere does not dominate); the
// sum is clamped to [23 MB, 1000 MB x containers] and mapped to 0..100.
import type { ClusterSnapshot, NodeInfo, PodInfo, PolicyStatus, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { MAX_NODE_SCORE } from '@skiff/plugin-scheduler/framework';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { NodeTracker } from './node-tracker.ts';
import { imagesOf } from './pod-spec.ts';

export const IMAGE_LOCALITY = 'ImageLocality';
const MB = 1024 * 1024;
export const MIN_THRESHOLD = 23 * MB;
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;
const PRE_SCORE_KEY = 'PreScore' + IMAGE_LOCALITY;

interface ScoreState {
  images: readonly string[];
  /** per image (same order): the name without its ':latest' tag (node status may list either), or undefined */
  untagged: readonly (string | undefined)[];
  /** per image (same order): number of nodes that have it / number of nodes */
  spread: number[];
  containers: number;
}

interface PodImages {
  images: readonly string[];
  untagged: readonly (string | undefined)[];
  containers: number;
}

const LATEST = ':latest';
const podImagesCache = new WeakMap<PodInfo, PodImages>();

/** The pod's normalized image names and their untagged forms: the string work, once per PodInfo. */
function podImagesOf(pod: PodInfo): PodImages {
  let p = podImagesCache.get(pod);
  if (p) return p;
  const { images, containers } = imagesOf(pod);
  p = { images, untagged: images.map((i) => (i.endsWith(LATEST) ? i.slice(0, -LATEST.length) : undefined)), containers };
  podImagesCache.set(pod, p);
  return p;
}

/** An image's size on a node: by normalized name, then untagged (node status may list either). */
function imageSize(node: NodeInfo, image: string, untagged: string | undefined): number | undefined {
  const s = node.images.get(image);
  if (s !== undefined || untagged === undefined) return s;
  return node.images.get(untagged);
}

interface NodeImages {
  images: ReadonlyMap<string, number> | undefined;
  keys: readonly string[];
  /** names ending in ':latest' the node also lists untagged (it counts once for them) */
  both: readonly string[];
}

const NO_IMAGES: NodeImages = Object.freeze({ images: undefined, keys: [], both: [] });

/**
 * How many nodes of the cluster have each image (kube's ImageStateSummary.NumNodes), kept up to
 * date node by node as nodes change (a node's image list is re-read only when the node changed,
 * and re-counted only when its set of names did), instead of asking every node on every cycle.
 */
export class ImageNodeCounter {
  private readonly byName = new Map<string, number>();
  private readonly both = new Map<string, number>();
  private readonly tracker = new NodeTracker<NodeImages>({
    update: (node, prev) => {
      const imgs = node.images;
      if (prev !== undefined && sameNames(prev, imgs)) return prev;
      if (prev !== undefined) this.remove(prev);
      if (imgs.size === 0) return NO_IMAGES;
      const keys = [...imgs.keys()];
      const both = keys.filter((k) => k.endsWith(LATEST) && imgs.has(k.slice(0, -LATEST.length)));
      const e: NodeImages = { images: imgs, keys, both };
      for (const k of keys) this.byName.set(k, (this.byName.get(k) ?? 0) + 1);
      for (const k of both) this.both.set(k, (this.both.get(k) ?? 0) + 1);
      return e;
    },
    remove: (_node, prev) => this.remove(prev),
  });

  private remove(e: NodeImages): void {
    for (const k of e.keys) dec(this.byName, k);
    for (const k of e.both) dec(this.both, k);
  }

  /** Up to date with these nodes (`token`: the cycle's state; a second call in the same cycle is free). */
  sync(snapshot: ClusterSnapshot, token?: object): this {
    this.tracker.sync(snapshot, token);
    return this;
  }

  /** How many nodes have the image, by its normalized name or (given) its untagged form. */
  nodesWith(image: string, untagged?: string): number {
    const n = this.byName.get(image) ?? 0;
    if (untagged === undefined) return n;
    return n + (this.byName.get(untagged) ?? 0) - (this.both.get(image) ?? 0);
  }
}

function dec(m: Map<string, number>, k: string): void {
  const v = (m.get(k) ?? 0) - 1;
  if (v > 0) m.set(k, v);
  else m.delete(k);
}

/** The node lists the same image names as when `e` was taken (the map may have been rebuilt or changed in place). */
function sameNames(e: NodeImages, imgs: ReadonlyMap<string, number>): boolean {
  if (imgs.size !== e.keys.length) return false;
  if (e === NO_IMAGES) return true;
  for (let i = 0; i < e.keys.length; i++) if (!imgs.has(e.keys[i])) return false;
  return true;
}

export function calculatePriority(sumScores: number, containers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * containers;
  if (sumScores < MIN_THRESHOLD) sumScores = MIN_THRESHOLD;
  else if (sumScores > maxThreshold) sumScores = maxThreshold;
  return Math.trunc((MAX_NODE_SCORE * (sumScores - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
}

const SKIP: PolicyStatus = Object.freeze({ code: 'Skip' }) as PolicyStatus;

export function imageLocality(): SchedulerPolicy {
  const counter = new ImageNodeCounter();
  return {
    name: IMAGE_LOCALITY,
    events: [],
    preScore(state, pod, _nodes, snapshot) {
      const { images, untagged, containers } = podImagesOf(pod);
      const all = snapshot.nodes();
      const total = all.length;
      let spread: number[];
      let anywhere = false;
      if (images.length === 0 || total === 0) spread = images.map(() => 0);
      else {
        counter.sync(snapshot, state);
        spread = new Array<number>(images.length);
        for (let i = 0; i < images.length; i++) {
          const n = counter.nodesWith(images[i], untagged[i]);
          if (n > 0) anywhere = true;
          spread[i] = n / total;
        }
      }
      state.write<ScoreState>(PRE_SCORE_KEY, { images, untagged, spread, containers });
      // no node has any of the images: every node would score calculatePriority(0) = 0
      if (!anywhere) return SKIP;
    },
    score(state, _pod, node) {
      const s = state.read<ScoreState>(PRE_SCORE_KEY);
      if (!s || s.containers === 0 || node.images.size === 0) return 0;
      let sum = 0;
      for (let i = 0; i < s.images.length; i++) {
        const size = imageSize(node, s.images[i], s.untagged[i]);
        if (size !== undefined) sum += Math.trunc(size * s.spread[i]);
      }
      return calculatePriority(sum, s.containers);
    },
  };
}

export const imageLocalityPlugin = policyPlugin<BaseConfig>({
  name: 'image-locality',
  create: () => imageLocality(),
});
