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
