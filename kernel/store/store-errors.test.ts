import { JetStreamApiError } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { errors } from '../status.ts';
import { PublishInDoubt } from './ack-publisher.ts';
import { CodecError, ObjectCodec } from './codec.ts';
import { RevisionMismatch } from './kv-backend.ts';
import { asStatus } from './store-errors.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };

describe('asStatus: nothing but a Status leaves the kernel', () => {
  it('keeps a Status as it is', () => {
    const s = errors.badRequest('no');
    expect(asStatus(s, 'create configmaps')).toBe(s);
  });

  it('names an undecodable stored object as a 500, with the codec error', () => {
    const codec = new ObjectCodec();
    let err: unknown;
    try {
      codec.decode(new TextEncoder().encode('{not json'), 7);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodecError);
    const s = asStatus(err, 'get configmaps');
    expect(s.status).toMatchObject({ code: 500, reason: 'InternalError' });
    expect(s.status.message).toMatch(/^get configmaps: a stored object could not be decoded: /);
  });

  it('maps store failures: a lost compare-and-set 409, an in-doubt write 504, a refused one 413/500, no answer 503, anything else 500', () => {
    expect(asStatus(new RevisionMismatch('default.cm.a'), 'update configmaps', CM).status).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(asStatus(new PublishInDoubt('$KV.skiff.a', 'no ack'), 'create configmaps').status).toMatchObject({ code: 504, reason: 'Timeout' });
    const tooBig = new JetStreamApiError({ code: 400, err_code: 10054, description: 'maximum payload exceeded' });
    expect(asStatus(tooBig, 'create configmaps').status).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
    const full = new JetStreamApiError({ code: 503, err_code: 10023, description: 'insufficient resources' });
    expect(asStatus(full, 'create configmaps').status).toMatchObject({ code: 500, reason: 'InternalError' });
    expect(asStatus(full, 'create configmaps').status.message).toMatch(/insufficient resources \(JetStream error 10023\)/);
    expect(asStatus(new Error('TIMEOUT'), 'list pods').status).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect(asStatus(new TypeError("Cannot read properties of undefined (reading 'x')"), 'list pods').status).toMatchObject({ code: 500, reason: 'InternalError' });
    expect(asStatus('a string', 'list pods').status.message).toBe('list pods: a string');
  });
});
