import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { cronJobKind, jobKind } from './batch.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const job = (spec: unknown, meta: Record<string, unknown> = {}): KObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'default', ...meta }, spec }) as KObject;
const tmpl = (restartPolicy?: string) => ({ spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox' }] } });

describe('Job', () => {
  test('valid job is defaulted', () => {
    const j = job({ template: tmpl('Never') });
    jobKind.default!(j);
    expect(jobKind.validate!(j)).toEqual([]);
    expect(j.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed' });
  });
  test('a per-index backoff limit turns the Job-wide one off; a podFailurePolicy replaces only failed pods', () => {
    const j = job({ template: tmpl('Never'), completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1, podFailurePolicy: { rules: [] } });
    jobKind.default!(j);
    expect(j.spec).toMatchObject({ backoffLimit: 2147483647, podReplacementPolicy: 'Failed' });
  });
  test('selector and labels are generated when the uid is known', () => {
    const j = job({ template: tmpl('OnFailure') }, { uid: 'abc' });
    jobKind.default!(j);
    expect(jobKind.validate!(j)).toEqual([]);
    expect((j.spec as any).selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } });
    expect((j.spec as any).template.metadata.labels['job-name']).toBe('j');
  });
  test('restartPolicy must be OnFailure or Never', () => {
    const j = job({ template: tmpl() });
    jobKind.default!(j);
    expect(jobKind.validate!(j)).toEqual([
      { reason: 'FieldValueNotSupported', field: 'spec.template.spec.restartPolicy', message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"' },
    ]);
  });
  test('invalid fields and template immutability', () => {
    const j = job({ template: tmpl('Never'), backoffLimit: -1, completionMode: 'Indexed', parallelism: 2 });
    jobKind.default!(j);
    expect(f(jobKind.validate!(j))).toEqual(['spec.backoffLimit:FieldValueInvalid', 'spec.completions:FieldValueRequired']);
    const old = job({ template: tmpl('Never') });
    jobKind.default!(old);
    const upd = structuredClone(old);
    (upd.spec as any).template.spec.containers[0].image = 'other';
    (upd.spec as any).parallelism = 3;
    expect(f(jobKind.validate!(upd, old))).toEqual(['spec.template:FieldValueInvalid']);
  });
  test('garbage does not throw', () => {
    for (const spec of ['x', 1, { template: 'x', selector: [] }, { template: { spec: { containers: 'c' } } }]) {
      const j = job(spec);
      expect(() => jobKind.default!(j)).not.toThrow();
      expect(jobKind.validate!(j).length).toBeGreaterThan(0);
    }
  });
});

describe('CronJob', () => {
  const cj = (spec: unknown): KObject => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'default' }, spec }) as KObject;
  test('valid cronjob is defaulted', () => {
    const c = cj({ schedule: '*/5 * * * *', jobTemplate: { spec: { template: tmpl('OnFailure') } } });
    cronJobKind.default!(c);
    expect(cronJobKind.validate!(c)).toEqual([]);
    expect(c.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
  });
  test.each([
    [{ schedule: 'every minute', jobTemplate: { spec: { template: tmpl('Never') } } }, ['spec.schedule:FieldValueInvalid']],
    [{ jobTemplate: { spec: { template: tmpl('Never') } } }, ['spec.schedule:FieldValueRequired']],
    [{ schedule: '@hourly', concurrencyPolicy: 'Sometimes', jobTemplate: { spec: { template: tmpl('Always') } } }, ['spec.concurrencyPolicy:FieldValueNotSupported', 'spec.jobTemplate.spec.template.spec.restartPolicy:FieldValueNotSupported']],
    [{ schedule: '0 * * * *', timeZone: 'Mars/Olympus', jobTemplate: { spec: { template: tmpl('Never') } } }, ['spec.timeZone:FieldValueInvalid']],
  ])('%j', (spec, expected) => {
    const c = cj(spec);
    cronJobKind.default!(c);
    expect(f(cronJobKind.validate!(c))).toEqual(expected);
  });
});
