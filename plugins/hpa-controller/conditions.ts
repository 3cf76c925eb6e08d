// The HPA's conditions (AbleToScale, ScalingActive, ScalingLimited) as kube's setCondition writes
// them: found by type (appended in first-set order), lastTransitionTime bumped only when the status
// changes.
import type { HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus } from '@skiff/api';

export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
export type SetCondition = (type: ConditionType, status: 'True' | 'False', reason: string, message: string) => void;

export function setCondition(status: HorizontalPodAutoscalerStatus, now: string, type: ConditionType, value: 'True' | 'False', reason: string, message: string): void {
  const list = (status.conditions ??= []);
  let c = list.find((x) => x.type === type);
  if (!c) list.push((c = { type, status: value } as HorizontalPodAutoscalerCondition));
  if (c.status !== value || !c.lastTransitionTime) c.lastTransitionTime = now;
  c.status = value;
  c.reason = reason;
  c.message = message;
}
