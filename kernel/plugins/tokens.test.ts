import 'reflect-metadata';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { ConsoleLogger, createServiceToken, tokenId, type ServiceToken } from './tokens.ts';

describe('service tokens', () => {
  it('are tsyringe tokens carrying the service type', () => {
    interface Greeter {
      greet(n: string): string;
    }
    const GreeterToken: ServiceToken<Greeter> = createServiceToken<Greeter>('test.greeter');
    const c = container.createChildContainer();
    c.register(GreeterToken, { useValue: { greet: (n: string) => `hi ${n}` } });
    const g: Greeter = c.resolve<Greeter>(GreeterToken);
    expect(g.greet('x')).toBe('hi x');
    expect(tokenId(GreeterToken)).toBe('test.greeter');
  });

  it('are the same for the same id (so a bundled copy of this module agrees)', () => {
    expect(createServiceToken('a.b')).toBe(createServiceToken('a.b'));
    expect(createServiceToken('a.b')).toBe(Symbol.for('skiff.service:a.b'));
    expect(createServiceToken('a.b')).not.toBe(createServiceToken('a.c'));
  });
});

describe('ConsoleLogger', () => {
  it('writes JSON lines with fields and honours the level', () => {
    const lines: string[] = [];
    const now = () => new Date('2025-01-01T00:00:00Z');
    const log = new ConsoleLogger({ level: 'info', write: (l) => lines.push(l), now, fields: { component: 'host' } });
    log.debug('hidden');
    log.info('started', { plugin: 'a' });
    log.child({ plugin: 'b' }).error('boom', { err: new Error('bad') });
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({ time: '2025-01-01T00:00:00.000Z', level: 'info', msg: 'started', component: 'host', plugin: 'a' });
    const second = JSON.parse(lines[1]!);
    expect(second).toMatchObject({ level: 'error', msg: 'boom', component: 'host', plugin: 'b', err: { message: 'bad' } });
  });
});
