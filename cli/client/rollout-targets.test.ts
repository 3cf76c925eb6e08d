import { describe, expect, it } from 'vitest';
import { errorLine, MISSING_RESOURCE, nameOf, planTargets, resourceString } from './rollout-targets.ts';

describe('planTargets', () => {
  const rollout = { allowEmptySelector: true };
  const scale = { allowEmptySelector: false };

  it('TYPE NAME..., TYPE/NAME..., and a TYPE alone where the command allows', () => {
    expect(planTargets(['deploy', 'a', 'b'], {}, rollout)).toEqual([{ type: 'deploy', names: ['a', 'b'] }]);
    expect(planTargets(['deploy/a', 'sts/b'], {}, rollout)).toEqual([
      { type: 'deploy', names: ['a'] },
      { type: 'sts', names: ['b'] },
    ]);
    expect(planTargets(['deploy'], {}, rollout)).toEqual([{ type: 'deploy', names: [] }]);
    expect(() => planTargets(['deploy'], {}, scale)).toThrow('error: resource(s) were provided, but no name was specified');
    expect(planTargets(['deploy'], { all: true }, scale)).toEqual([{ type: 'deploy', names: [] }]);
    expect(planTargets(['deploy'], { selector: 'app=web' }, scale)).toEqual([{ type: 'deploy', names: [] }]);
  });

  it('kubectl’s builder errors', () => {
    expect(() => planTargets([], {}, scale)).toThrow(`error: ${MISSING_RESOURCE}`);
    expect(() => planTargets(['deploy', 'a'], { selector: 'app=web' }, rollout)).toThrow('error: name cannot be provided when a selector is specified');
    expect(() => planTargets(['deploy', 'sts/b'], {}, rollout)).toThrow(/there is no need to specify a resource type as a separate argument/);
    expect(() => planTargets(['deploy'], { filename: ['x.yaml'] }, rollout)).toThrow('error: you must provide resources by argument or filename, not both');
    expect(planTargets([], { filename: ['x.yaml'] }, rollout)).toEqual([]);
  });
});

describe('names', () => {
  const r = { name: 'deployments', group: 'apps', kind: 'Deployment' };
  it('as kubectl prints them', () => {
    expect(resourceString(r)).toBe('deployments.apps');
    expect(resourceString({ name: 'replicationcontrollers', group: '' })).toBe('replicationcontrollers');
    expect(nameOf({ r: r as never, name: 'web' })).toBe('deployment.apps/web');
    expect(errorLine('x')).toBe('error: x');
    expect(errorLine('Error from server (NotFound): y')).toBe('Error from server (NotFound): y');
  });
});
