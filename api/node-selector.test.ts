import { describe, expect, it } from 'vitest';
import type { Node } from './types/core.ts';
import type { NodeSelectorRequirement, NodeSelectorTerm } from './types/core-pod.ts';
import {
  isEmptyNodeSelectorTerm, nodeLabelsMatch, nodeSelectorRequirementMatches, nodeSelectorTarget, nodeSelectorTermMatches, nodeSelectorTermsMatch,
} from './node-selector.ts';

const node = { name: 'n1', labels: { zone: 'a', cpus: '8', gpu: '' } };
const req = (key: string, operator: NodeSelectorRequirement['operator'], values?: string[]): NodeSelectorRequirement => ({ key, operator, ...(values ? { values } : {}) });

describe('nodeSelectorRequirementMatches', () => {
  it('In / NotIn / Exists / DoesNotExist against a present or absent value', () => {
    expect(nodeSelectorRequirementMatches(req('k', 'In', ['a', 'b']), 'b')).toBe(true);
    expect(nodeSelectorRequirementMatches(req('k', 'In', ['a']), undefined)).toBe(false);
    expect(nodeSelectorRequirementMatches(req('k', 'NotIn', ['a']), undefined)).toBe(true);
    expect(nodeSelectorRequirementMatches(req('k', 'NotIn', ['a']), 'a')).toBe(false);
    expect(nodeSelectorRequirementMatches(req('k', 'Exists'), '')).toBe(true);
    expect(nodeSelectorRequirementMatches(req('k', 'DoesNotExist'), '')).toBe(false);
  });
  it('Gt / Lt compare integers exactly; one value only; non-integers match nothing', () => {
    expect(nodeSelectorRequirementMatches(req('k', 'Gt', ['4']), '8')).toBe(true);
    expect(nodeSelectorRequirementMatches(req('k', 'Lt', ['4']), '8')).toBe(false);
    expect(nodeSelectorRequirementMatches(req('k', 'Gt', ['9007199254740992']), '9007199254740993')).toBe(true);
    expect(nodeSelectorRequirementMatches(req('k', 'Gt', ['1', '2']), '8')).toBe(false);
    expect(nodeSelectorRequirementMatches(req('k', 'Gt', ['1']), '8.5')).toBe(false);
    expect(nodeSelectorRequirementMatches(req('k', 'Gt', ['1']), undefined)).toBe(false);
    expect(nodeSelectorRequirementMatches({ key: 'k', operator: 'Bogus' as 'In', values: ['a'] }, 'a')).toBe(false);
  });
});

describe('nodeSelectorTermMatches', () => {
  it('ANDs the expressions on labels and the fields on metadata.name', () => {
    expect(nodeSelectorTermMatches({ matchExpressions: [req('zone', 'In', ['a']), req('cpus', 'Gt', ['4'])] }, node)).toBe(true);
    expect(nodeSelectorTermMatches({ matchExpressions: [req('zone', 'In', ['a']), req('cpus', 'Gt', ['16'])] }, node)).toBe(false);
    expect(nodeSelectorTermMatches({ matchFields: [req('metadata.name', 'In', ['n1'])] }, node)).toBe(true);
    expect(nodeSelectorTermMatches({ matchFields: [req('metadata.name', 'NotIn', ['n1'])] }, node)).toBe(false);
  });
  it('an empty, missing or malformed term, an unknown field or a field operator other than In / NotIn matches nothing', () => {
    expect(nodeSelectorTermMatches({}, node)).toBe(false);
    expect(nodeSelectorTermMatches(undefined, node)).toBe(false);
    expect(nodeSelectorTermMatches({ matchExpressions: 'x' } as unknown as NodeSelectorTerm, node)).toBe(false);
    expect(nodeSelectorTermMatches({ matchFields: [req('metadata.uid', 'In', ['n1'])] }, node)).toBe(false);
    expect(nodeSelectorTermMatches({ matchFields: [req('metadata.name', 'Exists')] }, node)).toBe(false);
    expect(isEmptyNodeSelectorTerm({ matchFields: [] })).toBe(true);
    expect(isEmptyNodeSelectorTerm({ matchFields: [req('metadata.name', 'Exists')] })).toBe(false);
  });
  it('terms are ORed; no terms match nothing', () => {
    expect(nodeSelectorTermsMatch([{ matchExpressions: [req('zone', 'In', ['b'])] }, { matchExpressions: [req('gpu', 'Exists')] }], node)).toBe(true);
    expect(nodeSelectorTermsMatch([{ matchExpressions: [req('zone', 'In', ['b'])] }, {}], node)).toBe(false);
    expect(nodeSelectorTermsMatch([], node)).toBe(false);
  });
});

describe('nodeLabelsMatch and nodeSelectorTarget', () => {
  it('a nodeSelector needs every label equal', () => {
    expect(nodeLabelsMatch({ zone: 'a' }, node.labels)).toBe(true);
    expect(nodeLabelsMatch({ zone: 'a', x: 'y' }, node.labels)).toBe(false);
    expect(nodeLabelsMatch(undefined, {})).toBe(true);
  });
  it('reads a Node name and labels', () => {
    expect(nodeSelectorTarget({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } } as Node)).toEqual({ name: 'n', labels: {} });
  });
});
