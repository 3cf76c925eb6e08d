import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { networkPolicyKind } from './networking-policy.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const np = (spec: unknown): KObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: 'default', name: 'p' }, spec }) as KObject;
const validate = (spec: unknown) => f(networkPolicyKind.validate!(np(spec)));
const defaulted = (spec: unknown) => {
  const o = np(structuredClone(spec));
  networkPolicyKind.default!(o);
  return (o as unknown as { spec: Record<string, unknown> }).spec;
};
const ingressPort = (port: unknown) => ({ podSelector: {}, ingress: [{ ports: [port] }] });
const ingressPeer = (peer: unknown) => ({ podSelector: {}, ingress: [{ from: [peer] }] });

describe('NetworkPolicy defaults', () => {
  test('policyTypes: Ingress always, Egress when egress rules exist; given types stay', () => {
    expect(defaulted({ podSelector: {} }).policyTypes).toEqual(['Ingress']);
    expect(defaulted({ podSelector: {}, ingress: [{}] }).policyTypes).toEqual(['Ingress']);
    expect(defaulted({ podSelector: {}, egress: [{}] }).policyTypes).toEqual(['Ingress', 'Egress']);
    expect(defaulted({ podSelector: {}, policyTypes: ['Egress'] }).policyTypes).toEqual(['Egress']);
  });
  test('a port without protocol is TCP', () => {
    const s = defaulted({ podSelector: {}, ingress: [{ ports: [{ port: 80 }, { protocol: 'UDP', port: 53 }] }], egress: [{ ports: [{ port: 'dns' }] }] });
    expect(s.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'UDP', port: 53 }] }]);
    expect(s.egress).toEqual([{ ports: [{ protocol: 'TCP', port: 'dns' }] }]);
  });
});

describe('NetworkPolicy validation', () => {
  test('a full policy is valid', () => {
    expect(
      validate({
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'c' } }, namespaceSelector: {} }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 8000, endPort: 8100 }, { port: 'http' }] }],
        egress: [{ to: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a'] }] } }], ports: [{ protocol: 'UDP' }] }],
      }),
    ).toEqual([]);
    expect(validate({ podSelector: {} })).toEqual([]);
  });

  test('podSelector is required (may be empty); selectors are checked', () => {
    expect(validate({})).toEqual(['spec.podSelector:FieldValueRequired']);
    expect(validate({ podSelector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] } })).toEqual(['spec.podSelector.matchExpressions[0].operator:FieldValueInvalid']);
  });

  test('ports: protocol, numeric or named port, endPort only with a numeric port and not below it', () => {
    expect(validate(ingressPort({ protocol: 'ICMP', port: 1 }))).toEqual(['spec.ingress[0].ports[0].protocol:FieldValueNotSupported']);
    expect(validate(ingressPort({ port: 0 }))).toEqual(['spec.ingress[0].ports[0].port:FieldValueInvalid']);
    expect(validate(ingressPort({ port: 70000 }))).toEqual(['spec.ingress[0].ports[0].port:FieldValueInvalid']);
    expect(validate(ingressPort({ port: 'Not_A_Name' }))).toEqual(['spec.ingress[0].ports[0].port:FieldValueInvalid']);
    expect(validate(ingressPort({ port: 100, endPort: 99 }))).toEqual(['spec.ingress[0].ports[0].endPort:FieldValueInvalid']);
    expect(validate(ingressPort({ port: 100, endPort: 100 }))).toEqual([]);
    expect(validate(ingressPort({ port: 'http', endPort: 100 }))).toEqual(['spec.ingress[0].ports[0].endPort:FieldValueInvalid']);
    expect(validate(ingressPort({ endPort: 100 }))).toEqual(['spec.ingress[0].ports[0].endPort:FieldValueInvalid']);
    expect(validate({ podSelector: {}, egress: [{ ports: [{ port: 1, endPort: 70000 }] }] })).toEqual(['spec.egress[0].ports[0].endPort:FieldValueInvalid']);
  });

  test('peers: one at least; ipBlock exclusive with the selectors', () => {
    expect(validate(ingressPeer({}))).toEqual(['spec.ingress[0].from[0]:FieldValueRequired']);
    expect(validate(ingressPeer({ podSelector: {}, ipBlock: { cidr: '10.0.0.0/8' } }))).toEqual(['spec.ingress[0].from[0]:FieldValueForbidden']);
    expect(validate({ podSelector: {}, egress: [{ to: [{ namespaceSelector: {}, ipBlock: { cidr: '10.0.0.0/8' } }] }] })).toEqual(['spec.egress[0].to[0]:FieldValueForbidden']);
  });

  test('ipBlock: a valid CIDR; except strictly inside it', () => {
    expect(validate(ingressPeer({ ipBlock: {} }))).toEqual(['spec.ingress[0].from[0].ipBlock.cidr:FieldValueRequired']);
    const bad = networkPolicyKind.validate!(np(ingressPeer({ ipBlock: { cidr: '10.0.0.0/33' } })));
    expect(bad).toEqual([expect.objectContaining({ field: 'spec.ingress[0].from[0].ipBlock.cidr', reason: 'FieldValueInvalid', message: expect.stringContaining('must be a valid CIDR value') })]);
    expect(validate(ingressPeer({ ipBlock: { cidr: 'not-a-cidr' } }))).toEqual(['spec.ingress[0].from[0].ipBlock.cidr:FieldValueInvalid']);
    expect(validate(ingressPeer({ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }))).toEqual(['spec.ingress[0].from[0].ipBlock.except[0]:FieldValueInvalid']);
    expect(validate(ingressPeer({ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] } }))).toEqual(['spec.ingress[0].from[0].ipBlock.except[0]:FieldValueInvalid']);
    expect(validate(ingressPeer({ ipBlock: { cidr: '10.0.0.0/8', except: ['10.9.0.0/16', 'x'] } }))).toEqual(['spec.ingress[0].from[0].ipBlock.except[1]:FieldValueInvalid']);
    expect(validate(ingressPeer({ ipBlock: { cidr: 'fd00::/64', except: ['fd00::/96', '10.0.0.0/24'] } }))).toEqual(['spec.ingress[0].from[0].ipBlock.except[1]:FieldValueInvalid']);
  });

  test('policyTypes: Ingress and Egress only, at most two', () => {
    expect(validate({ podSelector: {}, policyTypes: ['Ingress', 'Sideways'] })).toEqual(['spec.policyTypes[1]:FieldValueNotSupported']);
    expect(validate({ podSelector: {}, policyTypes: ['Ingress', 'Egress', 'Ingress'] })).toEqual(['spec.policyTypes:FieldValueInvalid']);
  });

  test('wrong types are reported, not thrown', () => {
    expect(validate({ podSelector: {}, ingress: [{ from: 'everyone' }] })).toEqual(['spec.ingress[0].from:FieldValueTypeInvalid']);
    expect(validate({ podSelector: {}, ingress: [{ ports: [{ port: true }] }] })).toContain('spec.ingress[0].ports[0].port:FieldValueTypeInvalid');
  });
});
