// ImageLocality: favour nodes that already have the pod's images. Each image present counts its
// size scaled by the fraction of nodes that have it (so an image everywhere does not dominate); the
// sum is clamped to [23 MB, 1000 MB x containers] and mapped to 0..100.
import type { NodeInfo, PodInfo, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { MAX_NODE_SCORE } from '@skiff/plugin-scheduler/framework';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { imagesOf } from './pod-spec.ts';

export const IMAGE_LOCALITY = 'ImageLocality';
const MB = 1024 * 1024;
export const MIN_THRESHOLD = 23 * MB;
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;
const PRE_SCORE_KEY = 'PreScore' + IMAGE_LOCALITY;

interface ScoreState {
  images: readonly string[];
  /** per image (same order): number of nodes that have it / number of nodes */
  spread: number[];
  containers: number;
}

/** An image's size on a node: by normalized name, then as written (node status may list either). */
function imageSize(node: NodeInfo, image: string): number | undefined {
  const s = node.images.get(image);
  if (s !== undefined || !image.endsWith(':latest')) return s;
  return node.images.get(image.slice(0, -':latest'.length));
}

export function calculatePriority(sumScores: number, containers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * containers;
  if (sumScores < MIN_THRESHOLD) sumScores = MIN_THRESHOLD;
  else if (sumScores > maxThreshold) sumScores = maxThreshold;
  return Math.trunc((MAX_NODE_SCORE * (sumScores - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
}

function computeState(pod: PodInfo, all: readonly NodeInfo[]): ScoreState {
  const { images, containers } = imagesOf(pod);
  const total = all.length;
  const spread = images.map((img) => {
    if (total === 0) return 0;
    let n = 0;
    for (const node of all) if (imageSize(node, img) !== undefined) n++;
    return n / total;
  });
  return { images, spread, containers };
}

export function imageLocality(): SchedulerPolicy {
  return {
    name: IMAGE_LOCALITY,
    events: [],
    preScore(state, pod, _nodes, snapshot) {
      const s = computeState(pod, snapshot.nodes());
      state.write(PRE_SCORE_KEY, s);
      if (s.images.length === 0) return { code: 'Skip' };
    },
    score(state, _pod, node) {
      const s = state.read<ScoreState>(PRE_SCORE_KEY);
      if (!s || s.containers === 0) return 0;
      let sum = 0;
      for (let i = 0; i < s.images.length; i++) {
        const size = imageSize(node, s.images[i]);
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
