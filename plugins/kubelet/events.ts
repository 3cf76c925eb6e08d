// The Events the kubelet records about pods, with kube 1.32's reasons (pkg/kubelet/events) and the
// wording of its messages, and the formatting those messages share: Go's duration strings, gRPC
// errors as Go prints them, and format.Pod ("name_namespace(uid)").
import type { KObject } from '@skiff/kernel';
import { grpcCode } from '@skiff/node-api';

export type EventType = 'Normal' | 'Warning';

/** Records an Event about a pod (the kubelet's recorder: aggregated, spam-filtered, asynchronous). */
export type PodEventSink = (pod: KObject, type: EventType, reason: string, message: string) => void;

export const Reason = {
  // containers
  Created: 'Created',
  Started: 'Started',
  Failed: 'Failed',
  Killing: 'Killing',
  BackOff: 'BackOff',
  // images
  Pulling: 'Pulling',
  Pulled: 'Pulled',
  ErrImageNeverPull: 'ErrImageNeverPull',
  InspectFailed: 'InspectFailed',
  // pod
  FailedMount: 'FailedMount',
  FailedCreatePodSandBox: 'FailedCreatePodSandBox',
  SandboxChanged: 'SandboxChanged',
  Unhealthy: 'Unhealthy',
} as const;

/** kube's format.Pod: "name_namespace(uid)". */
export function formatPod(pod: KObject): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

/** Go's time.Duration String() of a whole number of milliseconds: "0s", "812ms", "1.5s", "1m20s", "5m0s", "2h3m4.5s". */
export function goDuration(ms: number): string {
  ms = Math.trunc(ms);
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  ms = Math.abs(ms);
  if (ms < 1000) return `${sign}${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const rest = ms % 60_000;
  const frac = rest % 1000 ? `.${String(rest % 1000).padStart(3, '0').replace(/0+$/, '')}` : '';
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${Math.floor(rest / 1000)}${frac}s`;
}

// gRPC codes as Go names them (codes.Code.String())
const GO_CODES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted',
  'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
];

const details = (e: unknown): string | undefined => {
  const d = (e as { details?: unknown } | null)?.details;
  return typeof d === 'string' ? d : undefined;
};

/** What kube's `status.FromError(err).Message()` gives: a CRI error's description, any other error's text. */
export function errorMessage(e: unknown): string {
  if (grpcCode(e) !== undefined && details(e) !== undefined) return details(e)!;
  return e instanceof Error ? e.message : String(e);
}

/** An error as Go's `%v` prints it: a CRI error as "rpc error: code = Unknown desc = ...". */
export function errorString(e: unknown): string {
  const code = grpcCode(e);
  const d = details(e);
  if (code !== undefined && d !== undefined) return `rpc error: code = ${GO_CODES[code] ?? `Code(${code})`} desc = ${d}`;
  return e instanceof Error ? e.message : String(e);
}
