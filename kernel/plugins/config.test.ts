import { describe, expect, it } from 'vitest';
import { PluginConfigError, validateConfig } from './config.ts';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['endpoint'],
  properties: {
    endpoint: { type: 'string', format: 'uri' },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 6443 },
    tls: { type: 'object', default: {}, properties: { enabled: { type: 'boolean', default: true } } },
    mode: { enum: ['fast', 'safe'], default: 'safe' },
  },
};

describe('validateConfig', () => {
  it('applies defaults, including nested ones, without touching the input', () => {
    const input = { endpoint: 'https://example.com' };
    const out = validateConfig('api', schema, input);
    expect(out).toEqual({ endpoint: 'https://example.com', port: 6443, tls: { enabled: true }, mode: 'safe' });
    expect(input).toEqual({ endpoint: 'https://example.com' });
  });

  it('treats a missing config as {} so defaults apply', () => {
    const s = { type: 'object', properties: { port: { type: 'integer', default: 80 } } };
    expect(validateConfig('p', s, undefined)).toEqual({ port: 80 });
    expect(validateConfig('p', undefined, undefined)).toEqual({});
  });

  it('names the plugin and every offending field', () => {
    try {
      validateConfig('rest-api', schema, { port: 'x', tls: { enabled: 'yes' }, extra: 1, mode: 'slow' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PluginConfigError);
      const m = (err as Error).message;
      expect(m).toMatch(/^plugin "rest-api" has invalid config: /);
      expect(m).toContain('field "endpoint" is required');
      expect(m).toContain('field "port" must be integer');
      expect(m).toContain('field "tls.enabled" must be boolean');
      expect(m).toContain('field "extra" is not allowed');
      expect(m).toContain('field "mode" must be equal to one of the allowed values: "fast", "safe"');
    }
  });

  it('checks formats', () => {
    expect(() => validateConfig('api', schema, { endpoint: 'not a uri' })).toThrow('field "endpoint" must match format "uri"');
  });

  it('reports a broken schema as such', () => {
    expect(() => validateConfig('p', { type: 'nonsense' }, {})).toThrow('plugin "p" has an invalid config schema');
  });
});
