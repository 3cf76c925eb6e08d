import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '@skiff/node-api/testing';
import { defaultPullPolicy, ImageError, ImageManager } from './images.ts';

type Ev = [string, string, string];

function setup() {
  const cri = new FakeRuntime({ registry: {} });
  let t = 1_000_000;
  const clock = () => t;
  const images = new ImageManager(cri, clock);
  const events: Ev[] = [];
  const ensure = (image: string, pullPolicy?: string, podUid = 'u1') => images.ensure({ podUid, image, pullPolicy, sandbox: {} }, (...e) => events.push(e));
  return { cri, images, events, ensure, advance: (ms: number) => (t += ms) };
}

const failure = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ImageError);
  return e as ImageError;
};

describe('ImageManager', () => {
  it('defaults the pull policy as Kubernetes does', () => {
    expect(defaultPullPolicy('busybox')).toBe('Always');
    expect(defaultPullPolicy('busybox:latest')).toBe('Always');
    expect(defaultPullPolicy('busybox:1.36')).toBe('IfNotPresent');
    expect(defaultPullPolicy('localhost:5000/x')).toBe('Always');
    expect(defaultPullPolicy('x@sha256:abc')).toBe('IfNotPresent');
  });

  it('uses an image already present: Pulled "Container image ... already present on machine"', async () => {
    const s = setup();
    s.cri.images.add('busybox:1.36', 10, 'sha256:b');
    expect(await s.ensure('busybox:1.36')).toBe('sha256:b');
    expect(s.events).toEqual([['Normal', 'Pulled', 'Container image "busybox:1.36" already present on machine']]);
    expect(s.cri.calls).not.toContain('pullImage');
  });

  it('pulls: Pulling, then Pulled with the time taken and the image size', async () => {
    const s = setup();
    s.cri.images.publish('nginx:1.27', 68857691);
    expect(await s.ensure('nginx:1.27')).toMatch(/^sha256:/);
    expect(s.events[0]).toEqual(['Normal', 'Pulling', 'Pulling image "nginx:1.27"']);
    expect(s.events[1][0]).toBe('Normal');
    expect(s.events[1][1]).toBe('Pulled');
    expect(s.events[1][2]).toMatch(/^Successfully pulled image "nginx:1\.27" in (\d+ms|0s|[\d.]+s) \(\1 including waiting\)\. Image size: 68857691 bytes\.$/);
  });

  it('a failed pull: Failed "Failed to pull image", ErrImagePull; then ImagePullBackOff (BackOff event) until the back-off ends, per pod', async () => {
    const s = setup();
    const e1 = await failure(s.ensure('nope:1'));
    expect(e1.reason).toBe('ErrImagePull');
    expect(e1.message).toBe('rpc error: code = NotFound desc = failed to pull and unpack image "nope:1": not found');
    expect(s.events).toEqual([
      ['Normal', 'Pulling', 'Pulling image "nope:1"'],
      ['Warning', 'Failed', 'Failed to pull image "nope:1": rpc error: code = NotFound desc = failed to pull and unpack image "nope:1": not found'],
    ]);
    s.events.length = 0;
    const e2 = await failure(s.ensure('nope:1'));
    expect(e2.reason).toBe('ImagePullBackOff');
    expect(e2.message).toBe('Back-off pulling image "nope:1"');
    expect(s.events).toEqual([['Normal', 'BackOff', 'Back-off pulling image "nope:1"']]);
    // another pod is not held back by this one's back-off
    s.events.length = 0;
    expect((await failure(s.ensure('nope:1', undefined, 'u2'))).reason).toBe('ErrImagePull');
    // after the 10 s back-off, the pull is tried again
    s.advance(10_001);
    s.cri.images.publish('nope:1', 5);
    s.events.length = 0;
    await s.ensure('nope:1');
    expect(s.events.map((e) => e[1])).toEqual(['Pulling', 'Pulled']);
  });

  it('policy Never without the image: ErrImageNeverPull', async () => {
    const s = setup();
    const e = await failure(s.ensure('absent:1', 'Never'));
    expect(e.reason).toBe('ErrImageNeverPull');
    expect(e.message).toBe('Container image "absent:1" is not present with pull policy of Never');
    expect(s.events).toEqual([['Warning', 'ErrImageNeverPull', 'Container image "absent:1" is not present with pull policy of Never']]);
  });

  it('policy Always whose pull fails while the image is present: the local copy, after Failed and "already present"', async () => {
    const s = setup();
    s.cri.images.add('busybox', 1, 'sha256:local');
    expect(await s.ensure('busybox')).toBe('sha256:local');
    expect(s.events.map((e) => e.slice(0, 2))).toEqual([['Normal', 'Pulling'], ['Warning', 'Failed'], ['Normal', 'Pulled']]);
    expect(s.events[2][2]).toBe('Container image "busybox" already present on machine');
  });

  it('an image status that fails: InspectFailed, ImageInspectError', async () => {
    const s = setup();
    s.cri.failNext('imageStatus', 'boom');
    const e = await failure(s.ensure('busybox:1'));
    expect(e.reason).toBe('ImageInspectError');
    expect(s.events).toEqual([['Warning', 'InspectFailed', 'Failed to inspect image "busybox:1": rpc error: code = Unknown desc = boom']]);
  });
});

describe('ImageManager: one ImageStatus for a burst', () => {
  it('IfNotPresent: a present image is asked for once per TTL (concurrent pods share the call); Always still asks each time; forgetImage asks again', async () => {
    const s = setup();
    s.cri.images.add('busybox:1.36', 10, 'sha256:b');
    const count = () => s.cri.calls.filter((c) => c === 'imageStatus').length;
    const ids = await Promise.all(['a', 'b', 'c'].map((u) => s.ensure('busybox:1.36', 'IfNotPresent', u)));
    expect(ids).toEqual(['sha256:b', 'sha256:b', 'sha256:b']);
    expect(count()).toBe(1);
    await s.ensure('busybox:1.36', 'IfNotPresent');
    expect(count()).toBe(1);
    s.images.forgetImage('busybox:1.36');
    await s.ensure('busybox:1.36', 'IfNotPresent');
    expect(count()).toBe(2);
    s.advance(2_001);
    await s.ensure('busybox:1.36', 'IfNotPresent');
    expect(count()).toBe(3);
    await s.ensure('busybox:1.36', 'Always').catch(() => {});
    expect(count()).toBeGreaterThanOrEqual(4);
  });

  it('an absent image is not remembered: once it is there, the next pod finds it', async () => {
    const s = setup();
    await failure(s.ensure('busybox:1.36', 'Never'));
    s.cri.images.add('busybox:1.36', 10, 'sha256:b');
    expect(await s.ensure('busybox:1.36', 'Never')).toBe('sha256:b');
  });
});
