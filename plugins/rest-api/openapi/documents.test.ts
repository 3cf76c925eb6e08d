import { describe, expect, it } from 'vitest';
import type { KindDefinition } from '@skiff/kernel';
import { builtinKinds, kindsFromCRD } from '../../../kernel/schema/builtin/mod.ts';
import { toKindInfo } from '../../../kernel/schema/registry.ts';
import { buildDocuments, discoveryV3 } from './documents.ts';
import { decodeDocumentV2 } from './v2-proto.ts';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'crontabs', kind: 'CronTab' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                description: 'What the cron tab runs.',
                properties: { cronSpec: { type: 'string', description: 'When to run, in cron syntax.' }, replicas: { type: 'integer' }, extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
              },
            },
          },
        },
      },
    ],
  },
};

function docsOf(defs: KindDefinition[]) {
  return buildDocuments('v1.32.0', defs.map(toKindInfo), defs.map((d) => d.schema));
}

describe('OpenAPI documents', () => {
  const defs = [...builtinKinds(), ...kindsFromCRD(crd as never)];
  const docs = docsOf(defs);
  const d = docs.model.definitions;

  it('publishes every kind under kube\'s name with its GVK, and its list kind', () => {
    expect(d['io.k8s.api.core.v1.Pod']!['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'Pod' }]);
    expect(d['io.k8s.api.apps.v1.DeploymentList']!['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'DeploymentList' }]);
    expect(d['com.example.stable.v1.CronTab']).toBeDefined();
    for (const def of builtinKinds()) expect(docs.model.byGvk.get(`${def.group}/${def.version}/${def.kind}`)?.definition).toBeDefined();
  });

  it('names shared parts once and refers to them, with descriptions of its own', () => {
    const spec = d['io.k8s.api.apps.v1.DeploymentSpec'] as any;
    expect(spec.properties.template.allOf[0].$ref).toBe('#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec');
    expect((d['io.k8s.api.core.v1.PodTemplateSpec'] as any).properties.spec.allOf[0].$ref).toBe('#/components/schemas/io.k8s.api.core.v1.PodSpec');
    const podSpec = d['io.k8s.api.core.v1.PodSpec'] as any;
    expect(podSpec.required).toEqual(['containers']);
    expect(podSpec.properties.containers.items.$ref).toBe('#/components/schemas/io.k8s.api.core.v1.Container');
    expect(podSpec.properties.containers.description).toMatch(/containers of the pod/);
    // every top-level and spec field of Pod, Deployment, Service and ConfigMap is described
    for (const name of ['io.k8s.api.core.v1.Pod', 'io.k8s.api.core.v1.PodSpec', 'io.k8s.api.apps.v1.Deployment', 'io.k8s.api.apps.v1.DeploymentSpec', 'io.k8s.api.core.v1.Service', 'io.k8s.api.core.v1.ServiceSpec', 'io.k8s.api.core.v1.ConfigMap']) {
      for (const [field, s] of Object.entries((d[name] as any).properties)) expect((s as any).description, `${name}.${field}`).toBeTruthy();
    }
    // int-or-string and quantities are kube's named types; metadata is ObjectMeta
    expect((d['io.k8s.api.apps.v1.RollingUpdateDeployment'] as any).properties.maxSurge.allOf[0].$ref).toMatch(/intstr.IntOrString$/);
    expect((d['io.k8s.api.core.v1.ConfigMap'] as any).properties.metadata.allOf[0].$ref).toMatch(/meta.v1.ObjectMeta$/);
  });

  it('publishes a CRD version\'s schema with its descriptions', () => {
    const ct = d['com.example.stable.v1.CronTab'] as any;
    expect(ct.properties.spec.description).toBe('What the cron tab runs.');
    expect(ct.properties.spec.properties.cronSpec).toEqual({ type: 'string', description: 'When to run, in cron syntax.' });
    expect(ct.properties.spec.properties.extra['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('splits v3 by group-version with the paths kubectl looks for', () => {
    expect([...docs.v3.keys()]).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/stable.example.com/v1']));
    const apps = JSON.parse(docs.v3.get('apis/apps/v1')!.body.toString());
    const patch = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation');
    // no patch metadata on the schemas yet: kubectl keeps computing strategic patches from its own types
    expect(Object.keys(patch.requestBody.content)).not.toContain('application/strategic-merge-patch+json');
    expect(apps.components.schemas['io.k8s.api.core.v1.Container']).toBeDefined();
    expect(apps.components.schemas['io.k8s.api.core.v1.Service']).toBeUndefined();
    const disc = JSON.parse(discoveryV3(docs).toString());
    expect(disc.paths['api/v1'].serverRelativeURL).toBe(`/openapi/v3/api/v1?hash=${docs.v3.get('api/v1')!.hash}`);
  });

  it('writes v2 with $refs under definitions, and as gnostic protobuf', () => {
    const v2 = JSON.parse(docs.v2json().body.toString());
    expect(v2.swagger).toBe('2.0');
    expect(v2.definitions['io.k8s.api.core.v1.PodSpec'].properties.securityContext).toEqual({ $ref: '#/definitions/io.k8s.api.core.v1.PodSecurityContext', description: expect.any(String) });
    expect(v2.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({ type: 'string', format: 'int-or-string' });
    // an object that keeps unknown fields has no properties in v2 (kubectl 1.20 would refuse the others)
    expect(v2.definitions['com.example.stable.v1.CronTab'].properties.spec.properties.extra.properties).toBeUndefined();
    const proto = decodeDocumentV2(docs.v2proto().body) as any;
    expect(proto.swagger).toBe('2.0');
    const pod = proto.definitions.additional_properties.find((x: any) => x.name === 'io.k8s.api.core.v1.Pod').value;
    const gvk = pod.vendor_extension.find((x: any) => x.name === 'x-kubernetes-group-version-kind');
    expect(JSON.parse(gvk.value.yaml)).toEqual([{ group: '', version: 'v1', kind: 'Pod' }]);
    expect(pod.properties.additional_properties.map((p: any) => p.name)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  });

  it('hashes the same kinds to the same documents, and changes when a kind comes', () => {
    const again = docsOf(defs);
    expect(again.v3.get('api/v1')!.hash).toBe(docs.v3.get('api/v1')!.hash);
    const fewer = docsOf(builtinKinds());
    expect(fewer.v2json().hash).not.toBe(docs.v2json().hash);
    expect(fewer.v3.has('apis/stable.example.com/v1')).toBe(false);
  });
});
