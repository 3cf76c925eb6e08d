// The template generation annotation, by itself and as admission on a real kernel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_SETS, type DaemonSet } from '@skiff/api';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { TEMPLATE_GENERATION_ANNOTATION } from './pod-template.ts';
import { nextTemplateGeneration, templateGenerationAdmission } from './template-generation.ts';
import { daemonSet, editDaemonSet } from './testing.ts';

const withGen = (d: DaemonSet, g: string) => ({ ...d, metadata: { ...d.metadata, annotations: { [TEMPLATE_GENERATION_ANNOTATION]: g } } });

describe('nextTemplateGeneration', () => {
  it('is 1 on create, the stored value plus one when the template changed, else the stored value', () => {
    const a = daemonSet('a');
    const b = daemonSet('a', { image: 'other' });
    expect(nextTemplateGeneration({ operation: 'CREATE', object: withGen(a, '9') })).toBe(1);
    expect(nextTemplateGeneration({ operation: 'UPDATE', object: withGen(b, '9'), oldObject: withGen(a, '4') })).toBe(5);
    expect(nextTemplateGeneration({ operation: 'UPDATE', object: withGen(a, '9'), oldObject: withGen(a, '4') })).toBe(4);
    expect(nextTemplateGeneration({ operation: 'UPDATE', object: b, oldObject: a })).toBe(1);
    expect(nextTemplateGeneration({ operation: 'UPDATE', object: b, oldObject: withGen(a, '4'), subresource: 'status' })).toBe(4);
  });
});

describe('as admission', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    t.kernel.registerAdmission(templateGenerationAdmission);
  });
  afterAll(() => t?.stop());
  const gen = async () => ((await t.kernel.get(DAEMON_SETS, 'default', 'gen')) as DaemonSet).metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];

  it('keeps the annotation as the API server does; clients cannot set it', async () => {
    await t.kernel.create(DAEMON_SETS, withGen(daemonSet('gen'), '42'));
    expect(await gen()).toBe('1');
    await editDaemonSet(t.kernel, 'default', 'gen', (d) => void (d.spec!.minReadySeconds = 5));
    expect(await gen()).toBe('1');
    await editDaemonSet(t.kernel, 'default', 'gen', (d) => void (d.spec!.template.spec!.containers[0].image = 'agent:2'));
    expect(await gen()).toBe('2');
    await editDaemonSet(t.kernel, 'default', 'gen', (d) => void (d.metadata.annotations![TEMPLATE_GENERATION_ANNOTATION] = '7'));
    expect(await gen()).toBe('2');
    await t.kernel.patch(DAEMON_SETS, 'default', 'gen', 'merge', { spec: { template: { metadata: { labels: { extra: 'x' } } } } });
    expect(await gen()).toBe('3');
  });
});
