// nft in a network namespace the test creates: a transaction applies all or nothing, errors name the
// line, the table is created once and listed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../scripts/test-parts.ts';
import { Nft, NftError, parseNftErrors } from './nft.ts';
import { NftTransaction, safeName } from './transaction.ts';

it('parses nft errors with their line', () => {
  const stderr = '/dev/stdin:2:37-37: Error: syntax error, unexpected newline\nadd rule inet t c bogus\n        ^^^\n';
  expect(parseNftErrors(stderr, 'add table inet t\nadd rule inet t c bogus\n')).toEqual([{ line: 2, message: 'syntax error, unexpected newline', text: 'add rule inet t c bogus' }]);
  expect(safeName('svc-x-ns/a:b c')).toBe('svc-x-ns/a_b_c');
});

describeNeeding(['root'], 'Nft in a network namespace', () => {
  const ns = `nft-test-${randomBytes(3).toString('hex')}`;
  const nft = new Nft({ netns: ns });
  beforeAll(() => void execFileSync('ip', ['netns', 'add', ns]));
  afterAll(() => void execFileSync('ip', ['netns', 'delete', ns]));

  it('creates the table once, applies a transaction, lists chains and sets', async () => {
    await nft.ensureTable('inet', 'skiff');
    await nft.ensureTable('inet', 'skiff');
    const tx = new NftTransaction('inet', 'skiff').addChain('x-a').addRule('x-a', 'counter').addSet('x-s', { type: 'ipv4_addr' }).addElements('x-s', ['10.0.0.1', '10.0.0.2']);
    await nft.apply(tx.toString());
    expect(await nft.chainNames('inet', 'skiff')).toEqual(['x-a']);
    expect(await nft.setNames('inet', 'skiff')).toEqual(['x-s']);
  });

  it('a refused transaction changes nothing and says which line failed', async () => {
    const tx = new NftTransaction('inet', 'skiff').addChain('x-b').deleteElements('x-s', ['10.0.0.1']).deleteElements('x-s', ['10.9.9.9']);
    const err = await nft.apply(tx.toString()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NftError);
    expect((err as NftError).errors[0]).toMatchObject({ line: 3 });
    expect(await nft.chainNames('inet', 'skiff')).toEqual(['x-a']);
    const [set] = (await nft.list(['set', 'inet', 'skiff', 'x-s'])).map((i) => i.set);
    expect(set?.elem).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});
