import { describe, expect, it } from 'vitest';
import { formatTable, tableCells, TablePrinter, type Table } from './table.ts';

const table: Table = {
  kind: 'Table',
  columnDefinitions: [
    { name: 'Name', type: 'string', format: 'name', priority: 0 },
    { name: 'Ready', type: 'string', priority: 0 },
    { name: 'Status', type: 'string', priority: 0 },
    { name: 'IP', type: 'string', priority: 1 },
    { name: 'Age', type: 'string', priority: 0 },
  ],
  rows: [
    { cells: ['web', '0/1', 'Pending', '<none>', '3s'], object: { metadata: { name: 'web', namespace: 'demo' } } },
    { cells: ['database-0', '1/1', 'Running', '10.0.0.7', '12m'], object: { metadata: { name: 'database-0', namespace: 'kube-system' } } },
  ],
};

const render = (t: Table, o = {}) => {
  const { headers, rows } = tableCells(t.columnDefinitions!, t.rows!, o);
  return formatTable(headers, rows);
};

describe('tables like kubectl', () => {
  it('upper-cases headers, pads with 3 spaces, hides priority-1 columns', () => {
    expect(render(table)).toEqual([
      'NAME         READY   STATUS    AGE', //
      'web          0/1     Pending   3s',
      'database-0   1/1     Running   12m',
    ]);
  });

  it('shows priority-1 columns with -o wide', () => {
    expect(render(table, { wide: true })[0]).toBe('NAME         READY   STATUS    IP         AGE');
    expect(render(table, { wide: true })[2]).toBe('database-0   1/1     Running   10.0.0.7   12m');
  });

  it('puts NAMESPACE first with -A', () => {
    expect(render(table, { withNamespace: true })).toEqual([
      'NAMESPACE     NAME         READY   STATUS    AGE',
      'demo          web          0/1     Pending   3s',
      'kube-system   database-0   1/1     Running   12m',
    ]);
  });

  it('prints <none> for missing cells', () => {
    expect(render({ kind: 'Table', columnDefinitions: [{ name: 'A' }, { name: 'B' }], rows: [{ cells: ['x', null] }] })).toEqual(['A   B', 'x   <none>']);
  });
});

describe('TablePrinter (get -w)', () => {
  it('prints the header once, then rows as they come, aligned to the widths seen', () => {
    const out: string[] = [];
    const p = new TablePrinter((s) => out.push(s));
    p.print(table);
    p.print({ kind: 'Table', rows: [{ cells: ['web', '1/1', 'Running', '10.0.0.8', '5s'] }] }); // watch events carry no columns
    expect(out.join('')).toBe(
      'NAME         READY   STATUS    AGE\n' + //
        'web          0/1     Pending   3s\n' +
        'database-0   1/1     Running   12m\n' +
        'web          1/1     Running   5s\n',
    );
  });

  it('with nothing listed, prints the header with the first event', () => {
    const out: string[] = [];
    const p = new TablePrinter((s) => out.push(s));
    p.print({ ...table, rows: [] });
    expect(out).toEqual([]);
    p.print({ kind: 'Table', rows: [table.rows![0]!] });
    expect(out.join('')).toBe('NAME   READY   STATUS    AGE\nweb    0/1     Pending   3s\n');
  });
});
