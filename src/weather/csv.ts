import { CsvError, parse, type Options } from 'csv-parse/sync';

// CSV text to rows of cells with the line each row starts on, through csv-parse (RFC 4180 quoting:
// a quoted cell may hold the separator, a doubled quote and line breaks). Shared by the KMA ASOS
// reader (kma.ts) and the forecasting CSV (forecast/csv.ts), which both report problems by line.

export interface CsvRow {
  /** Line of the file (1-based) the row starts on; a quoted line break makes a row span several. */
  line: number;
  /** Cells as written, untrimmed, without the quotes. */
  cells: string[];
}

/** A file that is not CSV at all (a quote never closed, text after a closing quote); says where. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const LINE_BREAK = /\r\n?|\n/g;

function linesIn(cells: readonly string[]): number {
  let n = 0;
  for (const c of cells) n += c.match(/\n/g)?.length ?? 0;
  return n;
}

/**
 * Rows of `text` split at `delimiter`, rows of nothing but blanks left out. Line breaks (CRLF, LF or
 * CR, mixed too) count one line each and read as "\n" inside quoted cells; a leading BOM is ignored;
 * rows may differ in length; a quote inside an unquoted cell (`5"`) is kept as written.
 */
export function readCsvRows(text: string, delimiter = ','): CsvRow[] {
  const normalized = text.replace(LINE_BREAK, '\n');
  let lastLine = 0;
  try {
    const options: Options<CsvRow, string[]> = {
      bom: true,
      delimiter,
      record_delimiter: '\n',
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      // `lines` is the line the record ends on; its cells' own line breaks give the line it starts on.
      on_record: (cells, context) => {
        lastLine = context.lines;
        if (cells.every((c) => c.trim() === '')) return null;
        return { line: context.lines - linesIn(cells), cells };
      },
    };
    // The typed overload of parse() wants `columns`; on_record makes each record a CsvRow.
    return parse(normalized, options as unknown as Options) as unknown as CsvRow[];
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    // The failing row starts after the last good one and any blank lines.
    const lines = normalized.split('\n');
    let line = lastLine + 1;
    while (line < lines.length && lines[line - 1].trim() === '') line++;
    if (e.code === 'CSV_QUOTE_NOT_CLOSED')
      throw new CsvSyntaxError(
        line,
        `line ${line}: a quoted cell in the row starting here is never closed (the rest of the file would be one cell)`,
      );
    throw new CsvSyntaxError(line, `line ${line}: ${e.message.replace(/ at line \d+/, '')}`);
  }
}
