// kubectl's borderless table: upper-case headers, columns padded with 3 spaces, from a server-side
// `meta.k8s.io/v1` Table (priority-1 columns only with -o wide; NAMESPACE first with -A).

export interface ColumnDefinition {
  name: string;
  type?: string;
  format?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string } };
}

export interface Table {
  kind: 'Table';
  apiVersion?: string;
  metadata?: { resourceVersion?: string };
  columnDefinitions?: ColumnDefinition[];
  rows?: TableRow[];
}

export interface TableOptions {
  wide?: boolean;
  /** prepend NAMESPACE (from each row's object.metadata.namespace) */
  withNamespace?: boolean;
}

export const PADDING = 3;

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '<none>';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The visible columns' headers and rows' cells as strings. */
export function tableCells(columns: ColumnDefinition[], rows: TableRow[], o: TableOptions = {}): { headers: string[]; rows: string[][] } {
  const keep = columns.map((c, i) => ({ c, i })).filter(({ c }) => o.wide || !c.priority);
  const headers = keep.map(({ c }) => c.name.toUpperCase());
  const out = rows.map((r) => keep.map(({ i }) => cellText(r.cells[i])));
  if (o.withNamespace) {
    headers.unshift('NAMESPACE');
    rows.forEach((r, k) => out[k]!.unshift(r.object?.metadata?.namespace ?? ''));
  }
  return { headers, rows: out };
}

export function columnWidths(lines: string[][]): number[] {
  const w: number[] = [];
  for (const l of lines) l.forEach((c, i) => (w[i] = Math.max(w[i] ?? 0, c.length)));
  return w;
}

/** One line: every column but the last padded to its width plus 3 spaces. */
export function formatLine(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? 0) + PADDING))).join('').trimEnd();
}

export function formatTable(headers: string[], rows: string[][]): string[] {
  const all = [headers, ...rows];
  const widths = columnWidths(all);
  return all.map((l) => formatLine(l, widths));
}

/**
 * Prints tables incrementally (get -w): the header once, each later row padded to the widths seen
 * so far, so columns stay aligned as long as the values fit.
 */
export class TablePrinter {
  private widths: number[] = [];
  private headerPrinted = false;
  private columns?: ColumnDefinition[];

  constructor(
    private readonly write: (s: string) => void,
    private readonly o: TableOptions = {},
  ) {}

  print(t: Table): void {
    if (t.columnDefinitions?.length && !this.columns) this.columns = t.columnDefinitions;
    if (!this.columns) return;
    const { headers, rows } = tableCells(this.columns, t.rows ?? [], this.o);
    if (!this.headerPrinted && rows.length === 0) return;
    const lines = this.headerPrinted ? rows : [headers, ...rows];
    const w = columnWidths(lines);
    this.widths = w.map((x, i) => Math.max(x, this.widths[i] ?? 0));
    for (const l of lines) this.write(formatLine(l, this.widths) + '\n');
    this.headerPrinted = true;
  }

  get printedHeader(): boolean {
    return this.headerPrinted;
  }
}
