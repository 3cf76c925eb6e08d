// A plain CycleState (a Map), for tests and for the preemption policy's what-if runs.
import type { CycleState } from '@skiff/plugin-scheduler/framework';

export class MapCycleState implements CycleState {
  private readonly data = new Map<string, unknown>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write<T>(key: string, value: T): void {
    this.data.set(key, value);
  }
}

/**
 * A policy's own CycleState key, with the value remembered for the last state seen: Filter and
 * Score read their PreFilter / PreScore state once per node, and a pointer comparison is cheaper
 * than a map lookup. Only this policy writes the key (through `write`), so the remembered value is
 * the state's value; another state (the next cycle, a preemption what-if) is read afresh.
 */
export class StateKey<T> {
  private state: CycleState | undefined;
  private value: T | undefined;
  constructor(readonly key: string) {}

  read(state: CycleState): T | undefined {
    if (state === this.state) return this.value;
    const v = state.read<T>(this.key);
    this.state = state;
    this.value = v;
    return v;
  }

  write(state: CycleState, value: T): void {
    state.write(this.key, value);
    this.state = state;
    this.value = value;
  }
}
