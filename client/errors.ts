// Errors of several attempts as one, as apimachinery's utilerrors.NewAggregate: one error is
// returned as it is, several as an AggregateError whose message is kube's "[a, b]".

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** undefined for none, the error itself for one, an AggregateError "[a, b, ...]" for more. */
export function aggregateErrors(errors: readonly unknown[]): unknown {
  if (errors.length === 0) return undefined;
  if (errors.length === 1) return errors[0];
  return new AggregateError(errors, `[${errors.map(message).join(', ')}]`);
}
