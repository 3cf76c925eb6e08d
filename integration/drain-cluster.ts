// What the drain tests share: pod readiness as the budgets count it.
interface PodLike {
  metadata: { name?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

/** Ready and not being deleted: what a PodDisruptionBudget counts as healthy. */
export const isHealthy = (p: PodLike) => !p.metadata.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
