// Declared states and the transactions between them, against real nft in a network namespace the
// test creates: a full write, then differences only (elements, changed chains, objects that go).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../scripts/test-parts.ts';
import { diffTransaction, emptyState, fullTransaction, type TableState } from './desired.ts';
import { Nft } from './nft.ts';

const T = ['inet', 'skiff'] as const;

function state(opts: { peers: string[]; pods: [string, string][]; rules: string[]; extraChain?: boolean }): TableState {
  const s = emptyState();
  s.sets.set('t-peers', { spec: { type: 'ipv4_addr', flags: ['interval'] }, elements: new Map(opts.peers.map((p) => [p, undefined])) });
  s.sets.set('t-pods', { spec: { type: 'ipv4_addr : verdict' }, map: true, elements: new Map(opts.pods) });
  s.chains.set('t-a', { rules: opts.rules });
  if (opts.extraChain) s.chains.set('t-b', { rules: ['drop'] });
  s.chains.set('t-base', { base: { type: 'filter', hook: 'forward', priority: 0 }, rules: ['ip daddr vmap @t-pods'] });
  return s;
}

it('an unchanged state needs no transaction; a change touches only what differs', () => {
  const a = state({ peers: ['10.0.0.1'], pods: [['10.0.0.9', 'goto t-a']], rules: ['accept'] });
  expect(diffTransaction(...T, a, a).size).toBe(0);
  const b = state({ peers: ['10.0.0.1', '10.1.0.0-10.1.255.255'], pods: [['10.0.0.9', 'goto t-a']], rules: ['accept'] });
  expect(diffTransaction(...T, a, b).toString()).toBe('add element inet skiff t-peers { 10.1.0.0-10.1.255.255 }\n');
});

describeNeeding(['root'], 'declared states in real nft', () => {
  const ns = `nftd-test-${randomBytes(3).toString('hex')}`;
  const nft = new Nft({ netns: ns });
  beforeAll(() => void execFileSync('ip', ['netns', 'add', ns]));
  afterAll(() => void execFileSync('ip', ['netns', 'delete', ns]));
  const elems = async (set: string) => {
    const [it] = await nft.list(['set', ...T, set]);
    return JSON.stringify(it?.set?.elem ?? []);
  };

  it('writes a state, changes it by difference, and a full write removes what is stale', async () => {
    const a = state({ peers: ['10.0.0.1', '10.2.0.0-10.2.0.255'], pods: [['10.0.0.9', 'goto t-a'], ['10.0.0.10', 'goto t-b']], rules: ['ip saddr @t-peers accept', 'drop'], extraChain: true });
    // an object of another plugin and a stale one of ours
    await nft.apply('add table inet skiff\nadd chain inet skiff other\nadd chain inet skiff t-stale\nadd set inet skiff t-oldset { type ipv4_addr ; }\n');
    await nft.apply(fullTransaction(...T, a, { chains: ['t-stale'], sets: ['t-oldset'], maps: [] }).toString());
    expect((await nft.chainNames(...T)).sort()).toEqual(['other', 't-a', 't-b', 't-base']);
    expect(await nft.setNames(...T)).toEqual(['t-peers']);
    expect(await elems('t-peers')).toContain('10.2.0.0');

    // a range replaced by a single address next to it, a map value changed, a chain gone, rules changed
    const b = state({ peers: ['10.0.0.1', '10.2.0.7'], pods: [['10.0.0.9', 'goto t-a'], ['10.0.0.11', 'goto t-a']], rules: ['ip saddr @t-peers accept', 'reject'] });
    const tx = diffTransaction(...T, a, b);
    expect(tx.toString()).not.toContain('t-base');
    await nft.apply(tx.toString());
    expect((await nft.chainNames(...T)).sort()).toEqual(['other', 't-a', 't-base']);
    expect(await elems('t-peers')).not.toContain('10.2.0.0');
    expect(await elems('t-peers')).toContain('10.2.0.7');
    const [map] = await nft.list(['map', ...T, 't-pods']);
    expect(JSON.stringify(map?.map?.elem)).toContain('10.0.0.11');
    expect(JSON.stringify(map?.map?.elem)).not.toContain('10.0.0.10');

    // a full write of the same state on top of itself changes nothing visible
    await nft.apply(fullTransaction(...T, b, { chains: ['t-a', 't-base'], sets: ['t-peers'], maps: ['t-pods'] }).toString());
    expect(await elems('t-peers')).toContain('10.2.0.7');
    // and every object goes by difference to the empty state, the table stays
    await nft.apply(diffTransaction(...T, b, emptyState()).toString());
    expect(await nft.chainNames(...T)).toEqual(['other']);
    expect(await nft.hasTable(...T)).toBe(true);
  });
});
