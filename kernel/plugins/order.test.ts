import { describe, expect, it } from 'vitest';
import { orderPlugins, PluginDependencyError } from './order.ts';

const names = (ns: { name: string }[]) => ns.map((n) => n.name);

describe('orderPlugins', () => {
  it('starts a plugin after every plugin of each type it requires, keeping input order otherwise', () => {
    const out = orderPlugins([
      { name: 'scheduler', type: 'skiff.io/controller', requires: ['skiff.io/scheduler-policy', 'skiff.io/api'] },
      { name: 'api', type: 'skiff.io/api' },
      { name: 'spread', type: 'skiff.io/scheduler-policy' },
      { name: 'binpack', type: 'skiff.io/scheduler-policy', requires: ['skiff.io/api'] },
      { name: 'cni', type: 'skiff.io/cni' },
    ]);
    expect(names(out)).toEqual(['api', 'spread', 'binpack', 'scheduler', 'cni']);
  });

  it('names the plugin and type of a missing requirement', () => {
    expect(() => orderPlugins([{ name: 'scheduler', type: 'skiff.io/controller', requires: ['skiff.io/scheduler-policy'] }])).toThrow(
      'plugin "scheduler" requires type "skiff.io/scheduler-policy" but no plugin provides it',
    );
  });

  it('reports every missing requirement', () => {
    try {
      orderPlugins([
        { name: 'a', type: 'x', requires: ['t1'] },
        { name: 'b', type: 'y', requires: ['t2'] },
      ]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PluginDependencyError);
      expect((err as Error).message).toContain('plugin "a" requires type "t1"');
      expect((err as Error).message).toContain('plugin "b" requires type "t2"');
      expect((err as PluginDependencyError).plugins).toEqual(['a', 'b']);
    }
  });

  it('reports a cycle as a path', () => {
    expect(() =>
      orderPlugins([
        { name: 'a', type: 'ta', requires: ['tb'] },
        { name: 'b', type: 'tb', requires: ['ta'] },
      ]),
    ).toThrow('dependency cycle: a -> b -> a');
    expect(() =>
      orderPlugins([
        { name: 'x', type: 'tx' },
        { name: 'a', type: 'ta', requires: ['tc'] },
        { name: 'b', type: 'tb', requires: ['ta'] },
        { name: 'c', type: 'tc', requires: ['tb'] },
      ]),
    ).toThrow('dependency cycle: a -> c -> b -> a');
  });

  it('does not let a plugin satisfy its own requirement', () => {
    expect(() => orderPlugins([{ name: 'a', type: 't', requires: ['t'] }])).toThrow('plugin "a" requires type "t"');
    const out = orderPlugins([
      { name: 'b', type: 't', requires: ['u'] },
      { name: 'a', type: 'u' },
    ]);
    expect(names(out)).toEqual(['a', 'b']);
  });

  it('accepts requirements met by already running plugins', () => {
    const out = orderPlugins([{ name: 'sched', type: 'c', requires: ['skiff.io/api'] }], [{ name: 'api', type: 'skiff.io/api' }]);
    expect(names(out)).toEqual(['sched']);
  });

  it('rejects duplicate names', () => {
    expect(() => orderPlugins([{ name: 'a', type: 't' }, { name: 'a', type: 'u' }])).toThrow('plugin "a" is listed twice');
  });
});
