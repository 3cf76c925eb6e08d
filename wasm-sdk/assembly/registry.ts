// The policy instance the world's exports call into; set once by register() at start-up.
import { AdmissionPolicy } from "./admission";
import { SchedulerPolicy } from "./scheduler";

export let schedulerPolicy: SchedulerPolicy | null = null;
export let admissionPolicy: AdmissionPolicy | null = null;

/** Registers the policy the component exports: call it once, at the top level of the policy file. */
export function register<T>(policy: T): void {
  if (policy instanceof SchedulerPolicy) schedulerPolicy = policy;
  else if (policy instanceof AdmissionPolicy) admissionPolicy = policy;
  else ERROR("register() takes a SchedulerPolicy or an AdmissionPolicy");
}
