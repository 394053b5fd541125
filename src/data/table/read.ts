import { DataError } from '../../tensor/errors.js';
import { readMaybeGzip } from '../files.js';

/**
 * A table as read from a CSV file with a header: every cell kept as its text, with the line each
 * row starts on, so that later stages (type inference, encoding) can name the cell they reject.
 *
 * @example
 * ```ts
 * const t: k.data.RawTable = k.data.parseTable('a,b\n1,x\n', 'inline.csv');
 * t.lines; // [2]
 * ```
 */
export interface RawTable {
  /** The file (or name) the table came from, used in error messages. */
  name: string;
  /** Column names from the header row. */
  columns: string[];
  /** Data rows: one string per column, unquoted, surrounding spaces of unquoted cells trimmed. */
  rows: string[][];
  /** The 1-based line each data row starts on. */
  lines: number[];
}

/**
 * Options of {@link parseTable} and {@link readTable}.
 *
 * @example
 * ```ts
 * await k.data.readTable('data.csv', { delimiter: ';' });
 * ```
 */
export interface ReadTableOptions {
  /** Field separator (one character); default: ',' unless the header has none and has ';' or a tab. */
  delimiter?: string;
}

/**
 * `file line L, column C ("name")`: where a cell is, for error messages.
 *
 * @example
 * ```ts
 * cellWhere(table, 0, 2); // 'penguins.csv line 2, column 3 ("bill_length_mm")'
 * ```
 */
export function cellWhere(table: RawTable, row: number, column: number): string {
  return `${table.name} line ${table.lines[row]}, column ${column + 1} (${JSON.stringify(table.columns[column])})`;
}

function detectDelimiter(text: string): string {
  const end = text.search(/\r?\n|$/);
  const header = text.slice(0, end);
  if (header.includes(',')) return ',';
  if (header.includes('\t')) return '\t';
  if (header.includes(';')) return ';';
  return ',';
}

/**
 * Splits CSV text into records (RFC 4180: quoted fields may hold the delimiter, line breaks and
 * doubled quotes). Blank lines between records are skipped. Throws a `DataError` naming the line
 * for an unterminated quote or text after a closing quote.
 */
function* records(
  text: string,
  name: string,
  delimiter: string,
  header: { columns?: string[] },
): Generator<{ line: number; fields: string[] }> {
  // 'column 2 ("island")' once the header is known, 'column 2' within it.
  const column = (k: number) => {
    const c = header.columns?.[k];
    return c === undefined ? `column ${k + 1}` : `column ${k + 1} (${JSON.stringify(c)})`;
  };
  // Past the end of the text, text[j] is undefined: it matches no character tested below.
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let blank = true;
    for (;;) {
      // One field.
      let field = '';
      let j = i;
      while ((text[j] === ' ' || text[j] === '\t') && text[j] !== delimiter) j++;
      if (text[j] === '"') {
        blank = false;
        const openLine = line;
        j++;
        for (;;) {
          const ch = text[j];
          if (ch === undefined) {
            throw new DataError(
              `${name} line ${openLine}, ${column(fields.length)}: a quote opens that is never closed`,
            );
          }
          if (ch === '"') {
            if (text[j + 1] === '"') {
              field += '"';
              j += 2;
              continue;
            }
            j++;
            break;
          }
          if (ch === '\n') line++;
          field += ch;
          j++;
        }
        while ((text[j] === ' ' || text[j] === '\t') && text[j] !== delimiter) j++;
        if (j < n && text[j] !== delimiter && text[j] !== '\n' && text[j] !== '\r') {
          throw new DataError(
            `${name} line ${line}, ${column(fields.length)}: text after a closing quote (write a quote inside a quoted field as "")`,
          );
        }
      } else {
        let k = i;
        // i <= n (a field starts at most just past a delimiter) and k steps by one, so k meets n.
        while (k !== n && text[k] !== delimiter && text[k] !== '\n' && text[k] !== '\r') k++;
        field = text.slice(i, k).trim();
        if (field.includes('"')) {
          throw new DataError(
            `${name} line ${line}, ${column(fields.length)}: a quote inside an unquoted value (quote the whole field and double the quote: "a""b")`,
          );
        }
        if (field !== '') blank = false;
        j = k;
      }
      fields.push(field);
      if (text[j] === delimiter) {
        blank = false;
        i = j + 1;
        continue;
      }
      // End of record: \n, \r\n, a lone \r, or the end of the text (where the count stops mattering).
      if (text[j] === '\r') j++;
      if (text[j] === '\n') j++;
      line++;
      i = j;
      break;
    }
    if (!blank) yield { line: start, fields };
  }
}

/**
 * Parses CSV text whose first record is a header of column names. Handles a UTF-8 byte order
 * mark, CRLF line ends, quoted fields (with delimiters, line breaks and doubled quotes) and empty
 * cells. Every structural problem is a `DataError` naming the file and line: a row with the wrong
 * number of fields, an unterminated quote, duplicate or missing column names.
 *
 * @example
 * ```ts
 * const t = k.data.parseTable('name,score\n"Smith, J",3\n', 'scores.csv');
 * t.columns; // ['name', 'score']
 * t.rows;    // [['Smith, J', '3']]
 * ```
 */
export function parseTable(text: string, name: string, options: ReadTableOptions = {}): RawTable {
  const body = text.replace(/^\uFEFF/, '');
  const delimiter = options.delimiter ?? detectDelimiter(body);
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new DataError(
      `${name}: delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`,
    );
  }
  let columns: string[] | null = null;
  const header: { columns?: string[] } = {};
  const rows: string[][] = [];
  const lines: number[] = [];
  for (const { line, fields } of records(body, name, delimiter, header)) {
    if (!columns) {
      columns = fields.map((f, j) => {
        if (f === '') throw new DataError(`${name} line ${line}: header field ${j + 1} is empty`);
        return f;
      });
      const seen = new Set<string>();
      for (const c of columns) {
        if (seen.has(c))
          throw new DataError(`${name} line ${line}: column ${JSON.stringify(c)} appears twice`);
        seen.add(c);
      }
      header.columns = columns;
      continue;
    }
    if (fields.length !== columns.length) {
      throw new DataError(
        `${name} line ${line}: expected ${columns.length} fields (as in the header), got ${fields.length}`,
      );
    }
    rows.push(fields);
    lines.push(line);
  }
  if (!columns) throw new DataError(`${name}: empty file (expected a header row of column names)`);
  return { name, columns, rows, lines };
}

/**
 * Reads a CSV file with a header row (gzip detected by its magic bytes); see {@link parseTable}.
 *
 * @example
 * ```ts
 * const table = await k.data.readTable('datasets/realworld/penguins.csv');
 * table.columns[0]; // 'species'
 * ```
 */
export async function readTable(path: string, options: ReadTableOptions = {}): Promise<RawTable> {
  const bytes = await readMaybeGzip(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataError(`${path}: not UTF-8 text`);
  }
  return parseTable(text, path, options);
}

/**
 * Names for an error message, comma-separated: plain ones as they are, others (line breaks,
 * quotes, commas, empty) JSON-quoted so the message stays one readable line; at most `max`.
 *
 * @example
 * ```ts
 * showNames(['Adelie', 'Chin\nstrap']); // 'Adelie, "Chin\\nstrap"'
 * ```
 */
export function showNames(names: readonly string[], max = 12): string {
  const shown = names
    .slice(0, max)
    .map((n) => (/^[\w .+\-/()]+$/.test(n) ? n : JSON.stringify(n)))
    .join(', ');
  return names.length > max ? `${shown}, ... (${names.length} in all)` : shown;
}
