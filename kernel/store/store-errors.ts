// What the kernel answers when the store (JetStream) or the codec fails in a way nothing above has
// named: always a Status, never the raw error. Applied where the store is called (kv-backend.ts: its
// requests and writes; RevisionMismatch and PublishInDoubt stay raw inside the store layer, where
// the write paths turn them into 409 / 504 with their own words), to a watch's opening (kernel.ts),
// and by the codec itself (CodecError). Not around every kernel operation: an extra promise step per
// operation changed the order controllers saw their writes in (cronjob tests failed). A store that
// does not answer is 503 (retry); a value that cannot be decoded, or a write JetStream refuses for a
// reason of its own (storage full, a limit), is 500 with what happened — the server's fault, not the
// client's.
import { JetStreamApiError } from '@nats-io/jetstream';
import { errors, isStatusError, type StatusError } from '../status.ts';
import type { ResourceRef } from '../types.ts';
import { PublishInDoubt } from './ack-publisher.ts';
import { RevisionMismatch } from './kv-backend.ts';

export function asStatus(e: unknown, what: string, ref?: ResourceRef): StatusError {
  if (isStatusError(e)) return e;
  // a Status error from another copy of this module (a plugin bundled on its own, the api layer's
  // class): already an answer, passed on as it is
  const st = (e as { status?: { kind?: unknown; code?: unknown } } | undefined)?.status;
  if (e instanceof Error && st && st.kind === 'Status' && typeof st.code === 'number') return e as StatusError;
  const m = (e as Error)?.message ?? String(e);
  // a compare-and-set that lost: every write path turns it into its own 409; one that did not is still a conflict
  if (e instanceof RevisionMismatch) {
    return errors.conflict(ref ?? { group: '', resource: 'objects' }, e.key.split('.').pop() ?? e.key, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  if (e instanceof PublishInDoubt) {
    return errors.timeout(`${what}: the write was sent but the object store did not confirm it (${m}); it may or may not have been applied: read the object before retrying`, 1);
  }
  if (e instanceof JetStreamApiError) {
    if (/payload|too large|size/i.test(m)) return errors.requestEntityTooLarge(`${what}: the object store refused the write as too large: ${m}`);
    return errors.internal(`${what}: the object store refused the request: ${m} (JetStream error ${e.code})`);
  }
  if (/timeout|no responders|closed|disconnect|connection/i.test(m) || (e as { code?: string })?.code === 'TIMEOUT') {
    return errors.serviceUnavailable(`${what}: the object store did not answer: ${m}`, 1);
  }
  return errors.internal(`${what}: ${m}`);
}
