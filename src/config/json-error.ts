/**
 * Where and why JSON text is invalid. V8's JSON.parse gives a position for some errors only,
 * so a failed parse is re-scanned here to report a line and column the user can go to.
 * mmengine's `{{_base_.x}}` references are accepted as values, since config files hold them.
 */
export interface JsonErrorLocation {
  line: number;
  column: number;
  reason: string;
}

class Stop {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

const REFERENCE_HERE = /\{\{\s*_base_\.[\w.]+\s*\}\}/y;

export function locateJsonError(text: string): JsonErrorLocation | null {
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new Stop(at, reason);
  };
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const found = () => (i < text.length ? `'${text[i]}'` : 'the end of the file');

  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') {
      const c = text[i];
      if (c === '\n') fail('line break inside a string (missing closing quote?)');
      if (c < ' ') fail('control character inside a string');
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`bad escape '\\${e ?? ''}' in a string`);
      } else i++;
    }
    if (i >= text.length) fail('unterminated string', start);
    i++;
  };
  const number = () => {
    const m = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    m.lastIndex = i;
    const hit = m.exec(text);
    if (!hit || hit[0] === '-' || hit[0] === '') fail('bad number');
    i += hit![0].length;
    if (i < text.length && /[\w.]/.test(text[i])) fail(`bad number`);
  };
  const literal = () => {
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i) && !/\w/.test(text[i + word.length] ?? '')) {
        i += word.length;
        return;
      }
    }
    const word = /\w+/y;
    word.lastIndex = i;
    fail(`unexpected '${word.exec(text)?.[0] ?? text[i]}' (strings need double quotes)`);
  };
  const value = (): void => {
    ws();
    const c = text[i];
    REFERENCE_HERE.lastIndex = i;
    if (c === '{' && REFERENCE_HERE.exec(text)) i = REFERENCE_HERE.lastIndex;
    else if (c === '{') object();
    else if (c === '[') array();
    else if (c === '"') string();
    else if (c === '-' || (c >= '0' && c <= '9')) number();
    else if (c !== undefined && /\w/.test(c)) literal();
    else fail(`expected a value, found ${found()}`);
  };
  const object = () => {
    i++;
    ws();
    if (text[i] === '}') return void i++;
    for (;;) {
      ws();
      if (text[i] !== '"') fail(`expected a double-quoted key, found ${found()}`);
      string();
      ws();
      if (text[i] !== ':') fail(`expected ':' after a key, found ${found()}`);
      i++;
      value();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === '}') return void i++;
      else fail(`expected ',' or '}' after a value, found ${found()}`);
    }
  };
  const array = () => {
    i++;
    ws();
    if (text[i] === ']') return void i++;
    for (;;) {
      value();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === ']') return void i++;
      else fail(`expected ',' or ']' after a value, found ${found()}`);
    }
  };

  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
    return null;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, e.offset);
    const line = before.split('\n').length;
    return { line, column: e.offset - before.lastIndexOf('\n'), reason: e.reason };
  }
}
