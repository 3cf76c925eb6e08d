// Score normalization helpers shared by the policies (kube's helper.DefaultNormalizeScore).
import { MAX_NODE_SCORE, type NodeScore } from '@skiff/plugin-scheduler/framework';

/**
 * Scale scores to 0..MAX_NODE_SCORE by the highest one (integer division, as kube does); with
 * `reverse`, a lower raw score is better. All-zero scores stay 0, or become MAX when reversed.
 */
export function defaultNormalizeScore(scores: NodeScore[], reverse: boolean, max = MAX_NODE_SCORE): void {
  let maxCount = 0;
  for (const s of scores) if (s.score > maxCount) maxCount = s.score;
  if (maxCount === 0) {
    if (reverse) for (const s of scores) s.score = max;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((max * s.score) / maxCount);
    if (reverse) v = max - v;
    s.score = v;
  }
}
