/**
 * A name read from a file, made safe to put in a one-line error message: single-quoted,
 * control characters (line breaks, terminal escapes) escaped, and cut to a readable length.
 * Everything a checkpoint names (entries, keys, globals) goes through here before it is shown.
 */
export function quoted(s: string, max = 100): string {
  const cut = s.length > max ? `${s.slice(0, max)}...` : s;
  const escaped = JSON.stringify(cut)
    .slice(1, -1)
    .replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `'${escaped}'`;
}
