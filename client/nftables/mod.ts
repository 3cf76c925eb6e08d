// @skiff/client/nftables: what Skiff's network plugins (service proxy, CNI per-pod filtering,
// hostPorts, NetworkPolicy) share to program their one nftables table: running nft (transactions,
// listings, optionally in a network namespace) and building a transaction.
export { Nft, NftError, parseNftErrors, quote, type NftOptions, type NftErrorLine, type NftJsonItem } from './nft.ts';
export { fullTransaction, diffTransaction, emptyState, type TableState, type ChainState, type SetState } from './desired.ts';
export { NftTransaction, safeName, NFT_NAME_MAX, type BaseChain, type SetSpec } from './transaction.ts';

/** The table every Skiff network plugin programs (each plugin owns objects with its own name prefix). */
export const SKIFF_TABLE = { family: 'inet', name: 'skiff' } as const;
