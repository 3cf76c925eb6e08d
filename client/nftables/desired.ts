// A plugin's objects in the shared table, declared as data (chains with their rules, sets and maps
// with their elements), and the one transaction that takes the table from one such state to the
// next: only what differs (elements out and in, chains whose rules changed, objects that came or
// went), or, for a full resync, everything of the plugin rewritten and its stale objects removed.
//
// A set's or map's spec is part of its identity: give a set a new name when its type or flags change
// (a name that kept its spec across states is never re-created).
import { NftTransaction, type BaseChain, type SetSpec } from './transaction.ts';

export interface ChainState {
  base?: BaseChain;
  rules: string[];
}

export interface SetState {
  spec: SetSpec;
  /** a map (`key : value` elements) rather than a set */
  map?: boolean;
  /** key -> value (maps) or undefined (sets); keys as nft prints them back, for deletion */
  elements: Map<string, string | undefined>;
}

export interface TableState {
  chains: Map<string, ChainState>;
  sets: Map<string, SetState>;
}

export const emptyState = (): TableState => ({ chains: new Map(), sets: new Map() });

const element = (k: string, v: string | undefined) => (v === undefined ? k : `${k} : ${v}`);
const sameRules = (a: ChainState, b: ChainState) => a.rules.length === b.rules.length && a.rules.every((r, i) => r === b.rules[i]);

/**
 * Everything of `next` written afresh into a table whose objects of this plugin are `existing`
 * (listed): sets and maps flushed and refilled, chains flushed and refilled, the rest deleted.
 */
export function fullTransaction(
  family: string,
  table: string,
  next: TableState,
  existing: { chains: Iterable<string>; sets: Iterable<string>; maps: Iterable<string> },
): NftTransaction {
  const tx = new NftTransaction(family, table).addTable();
  const hadChains = new Set(existing.chains);
  const hadMaps = new Set(existing.maps);
  const hadSets = new Set([...existing.sets, ...hadMaps]);
  for (const [name, s] of next.sets) {
    if (s.map) tx.addMap(name, s.spec);
    else tx.addSet(name, s.spec);
    if (hadSets.has(name)) (s.map ? tx.flushMap(name) : tx.flushSet(name));
  }
  for (const [name, c] of next.chains) {
    tx.addChain(name, c.base);
    if (hadChains.has(name)) tx.flushChain(name);
  }
  const staleChains = [...hadChains].filter((c) => !next.chains.has(c));
  for (const c of staleChains) tx.flushChain(c);
  for (const [name, c] of next.chains) for (const r of c.rules) tx.addRule(name, r);
  for (const [name, s] of next.sets) tx.addElements(name, [...s.elements].map(([k, v]) => element(k, v)));
  // stale maps first: their elements may point at stale chains
  for (const s of hadSets) if (!next.sets.has(s)) (hadMaps.has(s) ? tx.deleteMap(s) : tx.deleteSet(s));
  for (const c of staleChains) tx.deleteChain(c);
  return tx;
}

/** The changes from `prev` (in force) to `next`; an empty transaction when nothing differs. */
export function diffTransaction(family: string, table: string, prev: TableState, next: TableState): NftTransaction {
  const tx = new NftTransaction(family, table);
  // 1. elements out (before any add: interval sets refuse overlaps; map values change by delete + add)
  for (const [name, s] of next.sets) {
    const old = prev.sets.get(name);
    if (!old) continue;
    const gone = [...old.elements].filter(([k, v]) => !s.elements.has(k) || s.elements.get(k) !== v).map(([k]) => k);
    if (gone.length) tx.deleteElements(name, gone);
  }
  // 2. new sets and chains, 3. rules of new and changed chains (emptied first), 4. elements in
  for (const [name, s] of next.sets) if (!prev.sets.has(name)) (s.map ? tx.addMap(name, s.spec) : tx.addSet(name, s.spec));
  const rewrite: string[] = [];
  for (const [name, c] of next.chains) {
    const old = prev.chains.get(name);
    if (!old) (tx.addChain(name, c.base), rewrite.push(name));
    else if (!sameRules(old, c)) (tx.flushChain(name), rewrite.push(name));
  }
  const goneChains = [...prev.chains.keys()].filter((c) => !next.chains.has(c));
  for (const c of goneChains) tx.flushChain(c);
  for (const name of rewrite) for (const r of next.chains.get(name)!.rules) tx.addRule(name, r);
  for (const [name, s] of next.sets) {
    const old = prev.sets.get(name);
    const added = [...s.elements].filter(([k, v]) => !old || !old.elements.has(k) || old.elements.get(k) !== v);
    if (added.length) tx.addElements(name, added.map(([k, v]) => element(k, v)));
  }
  // 5. what nothing refers to any more (maps before chains: a map's elements may point at a chain)
  for (const [name, s] of prev.sets) if (!next.sets.has(name)) (s.map ? tx.deleteMap(name) : tx.deleteSet(name));
  for (const c of goneChains) tx.deleteChain(c);
  return tx;
}
