import { describe, expect, it } from 'vitest';
import { podPhase } from './pod-status.ts';

const running = { state: { running: { startedAt: 't' } }, lastState: {} };
const exited = (exitCode: number) => ({ state: { terminated: { exitCode } }, lastState: {} });
const waiting = (reason: string, lastExit?: number) => ({ state: { waiting: { reason } }, lastState: lastExit === undefined ? {} : { terminated: { exitCode: lastExit } } });
const spec = (restartPolicy: string) => ({ containers: [{ name: 'a' }, { name: 'b' }], restartPolicy });

describe("podPhase (kubelet's getPhase)", () => {
  it('is Pending while an init container has not succeeded, Failed when one failed and nothing restarts', () => {
    expect(podPhase(spec('Always'), [running], [waiting('PodInitializing'), waiting('PodInitializing')])).toBe('Pending');
    expect(podPhase(spec('Always'), [exited(1)], [waiting('PodInitializing'), waiting('PodInitializing')])).toBe('Pending');
    expect(podPhase(spec('Never'), [exited(1)], [waiting('PodInitializing'), waiting('PodInitializing')])).toBe('Failed');
    expect(podPhase(spec('Always'), [exited(0)], [running, running])).toBe('Running');
  });

  it('is Pending while a container waits to start for the first time, Running once one runs', () => {
    expect(podPhase(spec('Always'), [], [waiting('ContainerCreating'), running])).toBe('Pending');
    expect(podPhase(spec('Always'), [], [running, running])).toBe('Running');
    // crash-looping: waiting after an exit counts as stopped, and Always restarts it
    expect(podPhase(spec('Always'), [], [waiting('CrashLoopBackOff', 3), running])).toBe('Running');
    expect(podPhase(spec('Always'), [], [waiting('CrashLoopBackOff', 3), waiting('CrashLoopBackOff', 1)])).toBe('Running');
  });

  it('ends Succeeded or Failed per the restart policy once every container stopped', () => {
    expect(podPhase(spec('Never'), [], [exited(0), exited(0)])).toBe('Succeeded');
    expect(podPhase(spec('OnFailure'), [], [exited(0), exited(0)])).toBe('Succeeded');
    expect(podPhase(spec('Never'), [], [exited(0), exited(2)])).toBe('Failed');
    expect(podPhase(spec('OnFailure'), [], [exited(0), exited(2)])).toBe('Running'); // the failed one restarts
    expect(podPhase(spec('Always'), [], [exited(0), exited(0)])).toBe('Running');
  });
});
