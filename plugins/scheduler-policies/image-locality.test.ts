import { describe, expect, it } from 'vitest';
import { MAX_CONTAINER_THRESHOLD, MIN_THRESHOLD, calculatePriority, imageLocality } from './image-locality.ts';
import { node, pod, runScore } from './testing.ts';

const MB = 1024 * 1024;

describe('ImageLocality', () => {
  it('scores the images present, scaled by how many nodes have them', () => {
    const nodes = [
      node('n1', { images: { 'nginx:1.25': 500 * MB } }),
      node('n2', { images: { 'nginx:1.25': 500 * MB, 'redis:latest': 100 * MB } }),
      node('n3'),
    ];
    const run = runScore(imageLocality(), pod('p', { images: ['nginx:1.25', 'redis'] }), nodes);
    // nginx on 2/3 nodes: 349525333; redis on 1/3: 34952533; 2 containers -> range 23 MB .. 2000 MB
    const range = 2 * MAX_CONTAINER_THRESHOLD - MIN_THRESHOLD;
    expect(run.raw).toEqual({
      n1: Math.trunc((100 * (349525333 - MIN_THRESHOLD)) / range),
      n2: Math.trunc((100 * (349525333 + 34952533 - MIN_THRESHOLD)) / range),
      n3: 0,
    });
    expect(run.raw).toEqual({ n1: 15, n2: 17, n3: 0 });
    expect(run.normalized).toEqual(run.raw);
  });

  it('clamps to the thresholds', () => {
    expect(calculatePriority(0, 1)).toBe(0);
    expect(calculatePriority(MIN_THRESHOLD, 1)).toBe(0);
    expect(calculatePriority(5000 * MB, 1)).toBe(100);
    expect(calculatePriority(1000 * MB, 2)).toBe(Math.trunc((100 * (1000 * MB - MIN_THRESHOLD)) / (2000 * MB - MIN_THRESHOLD)));
  });

  it('gives a large image present everywhere its full size', () => {
    const nodes = [node('a', { images: { 'big:1': 2000 * MB } }), node('b', { images: { 'big:1': 2000 * MB } })];
    expect(runScore(imageLocality(), pod('p', { images: ['big:1'] }), nodes).raw).toEqual({ a: 100, b: 100 });
  });

  it('matches untagged names as :latest, both ways', () => {
    const nodes = [node('a', { images: { redis: 600 * MB } }), node('b', { images: { 'redis:latest': 600 * MB } })];
    const run = runScore(imageLocality(), pod('p', { images: ['redis'] }), nodes);
    expect(run.raw.a).toBe(run.raw.b);
    expect(run.raw.a).toBe(Math.trunc((100 * (600 * MB - MIN_THRESHOLD)) / (1000 * MB - MIN_THRESHOLD)));
  });
});
