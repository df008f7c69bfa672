import { DateTime } from 'luxon';

// What every measured-input reader shares: CSV rows with their line numbers, a column lookup by
// header name, an error that names file and line, and a report of what was dropped, moved or filled
// in the form of the forecasting CSV reader (kind, what was done, count, example lines).

/** A row the reader cannot use: file and line in the message. */
export class InputError extends Error {
  readonly code = 'BITGRID_ERR_INPUT';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    message: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${message}`);
  }
}

export interface InputIssue {
  /** Short key, e.g. "gap-interpolated". */
  kind: string;
  /** What was done to the affected rows or intervals, and why. */
  action: string;
  count: number;
  /** Up to a few "line N: …" examples. */
  examples: string[];
}

export interface InputReport {
  file: string;
  rows: number;
  /** What the file became, e.g. "96 intervals", "42 sessions". */
  result: string;
  issues: InputIssue[];
}

const MAX_EXAMPLES = 3;

export class Issues {
  private readonly map = new Map<string, InputIssue>();
  add(kind: string, action: string, example: string): void {
    let i = this.map.get(kind);
    if (!i) this.map.set(kind, (i = { kind, action, count: 0, examples: [] }));
    i.count++;
    if (i.examples.length < MAX_EXAMPLES) i.examples.push(example);
  }
  list(): InputIssue[] {
    return [...this.map.values()];
  }
}

export function formatInputReport(r: InputReport): string {
  const lines = [`${r.file}: ${r.rows} rows → ${r.result}`];
  for (const i of r.issues)
    lines.push(
      `  ${i.kind}: ${i.count} — ${i.action}${i.examples.length ? ` (e.g. ${i.examples.join('; ')})` : ''}`,
    );
  return lines.join('\n');
}

export interface CsvTable {
  file: string;
  /** Data rows (header excluded), each with its 1-based line in the file. */
  rows: { line: number; cells: string[] }[];
  /** Index of a column by header name (case-insensitive), or -1. */
  column(name: string): number;
  /** Index of a required column; an InputError naming the columns found when it is missing. */
  require(name: string): number;
}

/** Splits CSV text (RFC 4180 quotes, BOM and CRLF tolerated) into a table with a header row. */
export function readCsv(text: string, file: string): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows: { line: number; cells: string[] }[] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      if (row.length > 1 || row[0].trim() !== '') rows.push({ line: rowLine, cells: row });
      row = [];
      cell = '';
      line++;
      rowLine = line;
    } else cell += ch;
  }
  if (quoted) throw new InputError(file, rowLine, 'a quoted cell is never closed');
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push({ line: rowLine, cells: row });
  }
  const header = rows.shift();
  if (!header) throw new InputError(file, undefined, 'the file is empty (a header row is needed)');
  const names = header.cells.map((c) => c.trim().toLowerCase());
  const column = (name: string) => names.indexOf(name.toLowerCase());
  return {
    file,
    rows,
    column,
    require(name: string) {
      const i = column(name);
      if (i < 0)
        throw new InputError(file, header.line, `no column "${name}" (columns: ${header.cells.join(', ')})`);
      return i;
    },
  };
}

/** An ISO 8601 time with an offset (or Z), UTC ms; an InputError naming the line otherwise. */
export function parseTime(cell: string | undefined, file: string, line: number, column: string): number {
  const s = (cell ?? '').trim();
  const t = DateTime.fromISO(s, { setZone: true });
  if (!s || !t.isValid || !/(Z|[+-]\d{2}:?\d{2})$/i.test(s))
    throw new InputError(
      file,
      line,
      `${column}: "${s.slice(0, 40)}" is not an ISO 8601 time with an offset (e.g. 2026-08-03T08:15:00+09:00)`,
    );
  return t.toMillis();
}

/** A finite number; blank → undefined; anything else an InputError naming the line. */
export function parseNumber(
  cell: string | undefined,
  file: string,
  line: number,
  column: string,
): number | undefined {
  const s = (cell ?? '').trim();
  if (s === '') return undefined;
  const v = Number(s);
  if (!Number.isFinite(v)) throw new InputError(file, line, `${column}: "${s.slice(0, 40)}" is not a number`);
  return v;
}

/** A cell written to CSV: quoted where it holds a comma, quote or line break (as `readCsv` reads it). */
export function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
