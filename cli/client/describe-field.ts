// The `Label:   value` line every describer prints (kubectl's describe writer: values in one column).
export const LABEL_WIDTH = 20;

export function field(label: string, value: unknown, indent = ''): string {
  const l = `${indent}${label}:`;
  return `${l.padEnd(Math.max(LABEL_WIDTH, l.length + 1))}${value === undefined || value === '' ? '<none>' : value}`;
}
