// Ingress and IngressClass through `skiff server` and kubectl 1.32: apply, the table columns of
// `kubectl get ingress` / `get ingressclass`, the short name, and kube's validation as kubectl shows it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from './rollout-fixtures.ts';

let c: Cluster;
let dir: string;
beforeAll(async () => {
  c = await startCluster();
  dir = mkdtempSync(join(tmpdir(), 'skiff-ingress-kubectl-'));
});
afterAll(async () => {
  await c?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const apply = (name: string, yaml: string) => {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, yaml);
  return c.kubectl('apply', '-f', f);
};

const CLASS = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: example
spec:
  controller: example.com/ingress
  parameters:
    apiGroup: k8s.example.com
    kind: Params
    name: p
`;

const INGRESS = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: example
  tls:
  - hosts: [a.example]
    secretName: a-tls
  rules:
  - host: a.example
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
  - host: b.example
    http:
      paths:
      - path: /b
        pathType: Exact
        backend:
          service: {name: web, port: {name: http}}
`;

describe('Ingress with kubectl', () => {
  it('applies an IngressClass and an Ingress; get prints kube\'s columns', () => {
    expect(apply('class', CLASS)).toMatchObject({ code: 0 });
    expect(apply('ingress', INGRESS)).toMatchObject({ code: 0 });
    const cls = c.kubectl('get', 'ingressclass', 'example');
    expect(cls.code).toBe(0);
    expect(cls.out).toMatch(/^NAME\s+CONTROLLER\s+PARAMETERS\s+AGE\nexample\s+example\.com\/ingress\s+Params\.k8s\.example\.com\/p\s+\d+s\n$/);
    const ing = c.kubectl('get', 'ing', 'web');
    expect(ing.code).toBe(0);
    expect(ing.out).toMatch(/^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nweb\s+example\s+a\.example,b\.example\s+80, 443\s+\d+s\n$/);
    const obj = c.kubectl.json('get', 'ingress', 'web');
    expect(obj.spec.rules[1].http.paths[0]).toEqual({ path: '/b', pathType: 'Exact', backend: { service: { name: 'web', port: { name: 'http' } } } });
    expect(obj.status).toEqual({ loadBalancer: {} });
  });

  it('refuses what kube refuses, naming the field', () => {
    const bad = apply('bad', INGRESS.replace('name: web\n', 'name: bad\n').replace('        pathType: Exact\n', '').replace('host: a.example', 'host: 10.0.0.1'));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('The Ingress "bad" is invalid');
    expect(bad.err).toContain('spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address');
    expect(bad.err).toContain('spec.rules[1].http.paths[0].pathType: Required value: pathType must be specified');
    const noController = apply('badclass', CLASS.replace('name: example\n', 'name: bad\n').replace('  controller: example.com/ingress\n', ''));
    expect(noController.code).not.toBe(0);
    expect(noController.err).toContain('spec.controller: Required value');
  });
});
