// The built-in PriorityClasses the API server keeps (kube-apiserver's post-start hook): created when
// missing, left alone when present.
import { PRIORITY_CLASSES } from '@skiff/api';
import { StatusError, SYSTEM_PRIORITY_CLASSES, type Kernel } from '@skiff/kernel';

/** Create the system classes that do not exist; returns the names created. Errors other than 409 are thrown. */
export async function ensureSystemPriorityClasses(kernel: Kernel): Promise<string[]> {
  const created: string[] = [];
  for (const c of SYSTEM_PRIORITY_CLASSES) {
    try {
      await kernel.create(PRIORITY_CLASSES, {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: c.name },
        value: c.value,
        description: c.description,
        globalDefault: false,
        preemptionPolicy: 'PreemptLowerPriority',
      });
      created.push(c.name);
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409)) throw e;
    }
  }
  return created;
}
