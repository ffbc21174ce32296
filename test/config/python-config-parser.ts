/**
 * A parser for exactly the Python that formatPythonConfig writes (tests only): assignments
 * `name = expr` with dict(k=v), {'k': v}, [..], tuples, single-quoted strings with escapes,
 * numbers, True/False/None and float('nan'/'inf'). Tuples come back as PyTupleValue.
 */
export class PyTupleValue {
  constructor(readonly items: unknown[]) {}
}

export function parsePythonConfig(text: string): Record<string, unknown> {
  const p = new Parser(text);
  const out: Record<string, unknown> = {};
  p.ws();
  while (!p.done()) {
    const name = p.ident();
    p.expect('=');
    out[name] = p.expr();
    p.endOfStatement();
    p.ws();
  }
  return out;
}

/** Tuples as arrays: the JSON view of a parsed config. */
export function plain(v: unknown): unknown {
  if (v instanceof PyTupleValue) return v.items.map(plain);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  private fail(what: string): never {
    const line = this.s.slice(0, this.i).split('\n').length;
    throw new Error(`python config, line ${line}: expected ${what} at ${JSON.stringify(this.s.slice(this.i, this.i + 30))}`);
  }

  /** Whitespace and newlines (inside brackets any layout is allowed). */
  ws(): void {
    while (!this.done() && /\s/.test(this.s[this.i])) this.i++;
  }

  private inlineWs(): void {
    while (!this.done() && (this.s[this.i] === ' ' || this.s[this.i] === '\t')) this.i++;
  }

  endOfStatement(): void {
    this.inlineWs();
    if (!this.done() && this.s[this.i] !== '\n') this.fail('end of line');
  }

  expect(tok: string): void {
    this.ws();
    if (!this.s.startsWith(tok, this.i)) this.fail(`'${tok}'`);
    this.i += tok.length;
  }

  private peek(tok: string): boolean {
    this.ws();
    return this.s.startsWith(tok, this.i);
  }

  ident(): string {
    this.ws();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    if (!m) this.fail('a name');
    this.i += m[0].length;
    return m[0];
  }

  expr(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === "'") return this.str();
    if (c === '[') return this.seq('[', ']');
    if (c === '(') {
      const items = this.seq('(', ')', true);
      return new PyTupleValue(items);
    }
    if (c === '{') return this.braceDict();
    if (c === '-' && this.s.startsWith("-float('inf')", this.i)) {
      this.i += "-float('inf')".length;
      return -Infinity;
    }
    if (/[-0-9.]/.test(c)) return this.num();
    const name = this.ident();
    if (name === 'True') return true;
    if (name === 'False') return false;
    if (name === 'None') return null;
    if (name === 'dict') return this.callDict();
    if (name === 'float') {
      this.expect('(');
      const arg = this.str();
      this.expect(')');
      if (arg === 'nan') return NaN;
      if (arg === 'inf') return Infinity;
      this.fail("float('nan') or float('inf')");
    }
    return this.fail('a value');
  }

  private num(): number {
    const m = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i.exec(this.s.slice(this.i));
    if (!m) this.fail('a number');
    this.i += m[0].length;
    return Number(m[0]);
  }

  private str(): string {
    this.expect("'");
    let out = '';
    for (;;) {
      if (this.done()) this.fail('the closing quote');
      const c = this.s[this.i++];
      if (c === "'") return out;
      if (c === '\n') this.fail('an escaped newline');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      const simple: Record<string, string> = { '\\': '\\', "'": "'", n: '\n', r: '\r', t: '\t' };
      if (simple[e] !== undefined) out += simple[e];
      else if (e === 'x') {
        out += String.fromCharCode(parseInt(this.s.slice(this.i, this.i + 2), 16));
        this.i += 2;
      } else if (e === 'u') {
        out += String.fromCharCode(parseInt(this.s.slice(this.i, this.i + 4), 16));
        this.i += 4;
      } else this.fail('a known escape');
    }
  }

  private seq(open: string, close: string, isTuple = false): unknown[] {
    this.expect(open);
    const items: unknown[] = [];
    let commas = 0;
    while (!this.peek(close)) {
      items.push(this.expr());
      if (this.peek(',')) {
        this.expect(',');
        commas++;
      } else break;
    }
    this.expect(close);
    if (isTuple && items.length === 1 && commas === 0) this.fail('a one-element tuple with its comma');
    return items;
  }

  private callDict(): Record<string, unknown> {
    this.expect('(');
    const out: Record<string, unknown> = {};
    while (!this.peek(')')) {
      const k = this.ident();
      this.expect('=');
      out[k] = this.expr();
      if (this.peek(',')) this.expect(',');
      else break;
    }
    this.expect(')');
    return out;
  }

  private braceDict(): Record<string, unknown> {
    this.expect('{');
    const out: Record<string, unknown> = {};
    while (!this.peek('}')) {
      const k = this.str();
      this.expect(':');
      out[k] = this.expr();
      if (this.peek(',')) this.expect(',');
      else break;
    }
    this.expect('}');
    return out;
  }
}
