/**
 * Run filter expressions, e.g. `metrics.val_accuracy > 0.9 and params.optimizer.lr < 0.01`:
 * a tokenizer, a recursive-descent parser and an evaluator over {@link RunSummary}.
 *
 * Grammar (keywords case-insensitive):
 * ```
 * expr  := and ('or' and)*
 * and   := unary ('and' unary)*
 * unary := 'not' unary | '(' expr ')' | value op value
 * op    := '=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>=' | 'contains'
 * value := field | number | 'string' | "string" | true | false | null
 * field := (params | metrics | tags) '.' key  |  attribute
 * ```
 * A key is the rest of the dotted path (`params.optimizer.lr` is param `optimizer.lr`); a key
 * segment with other characters is written in backticks: ``metrics.`val acc` ``. A comparison
 * with a missing value is false (as SQL's NULL), except `= null`, which matches missing values.
 * Numbers compare as numbers, also against params logged as numeric strings; times compare
 * against date strings (`start_time > '2026-01-31'`); `duration` is in seconds.
 */
import { ValueError } from '../tensor/errors.js';
import type { RunSummary } from './types.js';

/** A bad filter: the message names the column; `position` is the 0-based offset in the text. */
export class FilterError extends ValueError {
  constructor(
    readonly expression: string,
    readonly position: number,
    problem: string,
  ) {
    super(`bad filter at column ${position + 1}: ${problem} (in "${expression}")`);
  }
}

/** The run attributes a filter or sort can name besides params, metrics and tags. */
export const RUN_ATTRIBUTES = [
  'id',
  'name',
  'experiment',
  'status',
  'start_time',
  'end_time',
  'duration',
  'seed',
  'host',
  'git_commit',
  'kiln_version',
] as const;

type Scalar = string | number | boolean | null | undefined;
type Getter = (run: RunSummary) => Scalar;
type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains';

interface Token {
  kind: 'word' | 'number' | 'string' | 'op' | '(' | ')' | 'end';
  text: string;
  /** For words: the dotted segments, backticks removed. */
  segments?: string[];
  value?: number | string;
  pos: number;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (pos: number, msg: string): never => {
    throw new FilterError(src, pos, msg);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c, text: c, pos: i++ });
    } else if (/[<>=!]/.test(c)) {
      const two = src.slice(i, i + 2);
      const text = ['<=', '>=', '==', '!=', '<>'].includes(two) ? two : c;
      if (text === '!') fail(i, "'!' must be followed by '=' ('!='); use 'not' for negation");
      tokens.push({ kind: 'op', text, pos: i });
      i += text.length;
    } else if (c === '"' || c === "'") {
      const start = i++;
      let s = '';
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        s += src[i++];
      }
      if (i >= src.length) fail(start, `unterminated string starting with ${c}`);
      i++;
      tokens.push({ kind: 'string', text: src.slice(start, i), value: s, pos: start });
    } else if (/[0-9]/.test(c) || ((c === '-' || c === '.') && /[0-9.]/.test(src[i + 1] ?? ''))) {
      const m = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(src.slice(i))!;
      if (/[A-Za-z_]/.test(src[i + m[0].length] ?? ''))
        fail(i, `'${src.slice(i).split(/\s/)[0]}' is not a number`);
      tokens.push({ kind: 'number', text: m[0], value: Number(m[0]), pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_`]/.test(c)) {
      const start = i;
      const segments: string[] = [];
      for (;;) {
        if (src[i] === '`') {
          const close = src.indexOf('`', i + 1);
          if (close < 0) fail(i, 'unterminated backtick-quoted key');
          segments.push(src.slice(i + 1, close));
          i = close + 1;
        } else {
          const m = /^[A-Za-z0-9_\-/:]+/.exec(src.slice(i));
          if (!m) fail(i, `expected a name after '.'`);
          segments.push(m![0]);
          i += m![0].length;
        }
        if (src[i] === '.' && src[i + 1] !== undefined && /[A-Za-z0-9_`]/.test(src[i + 1]!)) i++;
        else break;
      }
      tokens.push({ kind: 'word', text: src.slice(start, i), segments, pos: start });
    } else {
      fail(i, `unexpected character '${c}'`);
    }
  }
  tokens.push({ kind: 'end', text: 'the end', pos: src.length });
  return tokens;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false', 'null', 'contains']);
const isWord = (t: Token, w: string) => t.kind === 'word' && t.text.toLowerCase() === w;

function attributeGetter(name: string): Getter | undefined {
  switch (name) {
    case 'id':
    case 'name':
    case 'experiment':
    case 'status':
    case 'host':
    case 'seed':
      return (r) => r[name];
    case 'start_time':
      return (r) => r.startTime;
    case 'end_time':
      return (r) => r.endTime ?? undefined;
    case 'duration':
      return (r) => ((r.endTime ?? Date.now()) - r.startTime) / 1000;
    case 'git_commit':
      return (r) => r.gitCommit ?? undefined;
    case 'kiln_version':
      return (r) => r.kilnVersion;
    default:
      return undefined;
  }
}

function fieldOf(src: string, t: Token): Getter {
  const [head, ...rest] = t.segments!;
  const key = rest.join('.');
  const group = head!.toLowerCase();
  if (group === 'params' || group === 'metrics' || group === 'tags') {
    if (!key) throw new FilterError(src, t.pos, `'${head}' needs a key, as in ${group}.<key>`);
    return (r) => r[group][key];
  }
  const attribute = rest.length === 0 ? attributeGetter(group) : undefined;
  if (!attribute)
    throw new FilterError(
      src,
      t.pos,
      `unknown field '${t.text}'; use params.<key>, metrics.<key>, tags.<key> or one of ${RUN_ATTRIBUTES.join(', ')}`,
    );
  return attribute;
}

const numeric = (v: Scalar): number | undefined =>
  typeof v === 'number'
    ? v
    : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : undefined;

function compare(a: Scalar, op: Op, b: Scalar, timeField: boolean): boolean {
  if (b === null || a === null) {
    const missing = (a === null ? b : a) === undefined || (a === null ? b : a) === null;
    return op === '=' ? missing : op === '!=' ? !missing : false;
  }
  if (a === undefined || b === undefined) return false;
  if (op === 'contains') return String(a).includes(String(b));
  let x: Scalar = a;
  let y: Scalar = b;
  if (timeField && typeof y === 'string' && !Number.isNaN(Date.parse(y))) y = Date.parse(y);
  const nx = numeric(x);
  const ny = numeric(y);
  if (nx !== undefined && ny !== undefined && (typeof x === 'number' || typeof y === 'number')) {
    x = nx;
    y = ny;
  }
  if (typeof x !== typeof y) return op === '!=';
  if (typeof x === 'boolean' && op !== '=' && op !== '!=') return false;
  switch (op) {
    case '=':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return (x as number) < (y as number);
    case '<=':
      return (x as number) <= (y as number);
    case '>':
      return (x as number) > (y as number);
    default:
      return (x as number) >= (y as number);
  }
}

type Predicate = (run: RunSummary) => boolean;

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
  ) {}

  /** The current token (a method, so that TypeScript does not narrow it across `this.i++`). */
  private get t(): Token {
    return this.tokens[this.i]!;
  }

  private at(kind: Token['kind']): boolean {
    return this.tokens[this.i]!.kind === kind;
  }

  private fail(problem: string, t = this.t): never {
    throw new FilterError(this.src, t.pos, problem);
  }

  parse(): Predicate {
    if (this.t.kind === 'end') this.fail('the expression is empty');
    const p = this.or();
    if (!this.at('end')) this.fail(`expected 'and', 'or' or the end, found '${this.t.text}'`);
    return p;
  }

  private or(): Predicate {
    let left = this.and();
    while (isWord(this.t, 'or')) {
      this.i++;
      const a = left;
      const b = this.and();
      left = (r) => a(r) || b(r);
    }
    return left;
  }

  private and(): Predicate {
    let left = this.unary();
    while (isWord(this.t, 'and')) {
      this.i++;
      const a = left;
      const b = this.unary();
      left = (r) => a(r) && b(r);
    }
    return left;
  }

  private unary(): Predicate {
    if (isWord(this.t, 'not')) {
      this.i++;
      const p = this.unary();
      return (r) => !p(r);
    }
    if (this.t.kind === '(') {
      const open = this.t;
      this.i++;
      const p = this.or();
      if (!this.at(')')) this.fail(`expected ')' to close the '(' at column ${open.pos + 1}`);
      this.i++;
      return p;
    }
    const left = this.value();
    const opToken = this.t;
    let op: Op;
    if (opToken.kind === 'op')
      op = opToken.text === '==' ? '=' : opToken.text === '<>' ? '!=' : (opToken.text as Op);
    else if (isWord(opToken, 'contains')) op = 'contains';
    else
      this.fail(
        `expected a comparison (=, !=, <, <=, >, >=, contains) after '${left.text}', found '${opToken.text}'`,
      );
    this.i++;
    const right = this.value(opToken);
    const time =
      /^(start_time|end_time)$/i.test(left.text) || /^(start_time|end_time)$/i.test(right.text);
    return (r) => compare(left.get(r), op, right.get(r), time);
  }

  private value(after?: Token): { get: Getter; text: string } {
    const t = this.t;
    const where = after ? ` after '${after.text}'` : '';
    if (t.kind === 'number' || t.kind === 'string') {
      this.i++;
      return { get: () => t.value, text: t.text };
    }
    if (t.kind === 'word') {
      const w = t.text.toLowerCase();
      this.i++;
      if (w === 'true' || w === 'false') return { get: () => w === 'true', text: t.text };
      if (w === 'null') return { get: () => null, text: t.text };
      if (KEYWORDS.has(w)) this.fail(`expected a field or a value${where}, found '${t.text}'`, t);
      return { get: fieldOf(this.src, t), text: t.text };
    }
    return this.fail(`expected a field or a value${where}, found '${t.text}'`);
  }
}

/**
 * Compiles a filter expression into a predicate over runs; throws {@link FilterError} naming the
 * column of the first problem.
 *
 * @example
 * ```ts
 * const good = k.track.compileFilter('metrics.val_accuracy > 0.9 and params.optimizer.lr < 0.01');
 * runs.filter(good);
 * ```
 */
export function compileFilter(expression: string): (run: RunSummary) => boolean {
  return new Parser(expression, tokenize(expression)).parse();
}

/**
 * A getter of one field (`metrics.loss`, `params.optimizer.lr`, `start_time`...), for sorting
 * and table columns; throws {@link FilterError} for unknown fields.
 *
 * @example
 * ```ts
 * const acc = k.track.fieldGetter('metrics.val_accuracy');
 * runs.map(acc);
 * ```
 */
export function fieldGetter(
  field: string,
): (run: RunSummary) => string | number | boolean | null | undefined {
  const tokens = tokenize(field);
  if (tokens.length !== 2 || tokens[0]!.kind !== 'word')
    throw new FilterError(field, 0, 'expected one field name, as metrics.<key> or start_time');
  return fieldOf(field, tokens[0]!);
}

/** Orders two field values: numbers before strings, missing values last whatever `sign` is. */
export function compareFieldValues(a: Scalar, b: Scalar, sign: 1 | -1 | number): number {
  const missingA = a === undefined || a === null || (typeof a === 'number' && Number.isNaN(a));
  const missingB = b === undefined || b === null || (typeof b === 'number' && Number.isNaN(b));
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return (na - nb) * sign;
  if (na !== undefined) return -1;
  if (nb !== undefined) return 1;
  return String(a).localeCompare(String(b)) * sign;
}
