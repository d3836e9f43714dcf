/**
 * A tiny YAML emitter for the task files: mappings, lists, numbers, booleans and strings. Every
 * string is written as a JSON string (double quotes, JSON escapes), which YAML 1.2 reads as the
 * same double-quoted scalar, so no prompt text can turn into YAML syntax.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('YAML numbers must be finite');
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

function isScalar(v: YamlValue): v is string | number | boolean | null {
  return v === null || typeof v !== 'object';
}

function emit(value: YamlValue, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isScalar(item) || (Array.isArray(item) ? item.length === 0 : Object.keys(item).length === 0)) {
        out.push(`${indent}- ${isScalar(item) ? scalar(item) : Array.isArray(item) ? '[]' : '{}'}`);
      } else if (Array.isArray(item)) {
        out.push(`${indent}-`);
        emit(item, indent + '  ', out);
      } else {
        // "- key: value" with the rest of the mapping aligned under the first key.
        const inner: string[] = [];
        emit(item, indent + '  ', inner);
        out.push(`${indent}- ${inner[0].slice(indent.length + 2)}`, ...inner.slice(1));
      }
    }
    return;
  }
  if (isScalar(value)) {
    out.push(indent + scalar(value));
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const k = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
    if (isScalar(v)) out.push(`${indent}${k}: ${scalar(v)}`);
    else if (Array.isArray(v) && v.length === 0) out.push(`${indent}${k}: []`);
    else if (!Array.isArray(v) && Object.keys(v).length === 0) out.push(`${indent}${k}: {}`);
    else {
      out.push(`${indent}${k}:`);
      emit(v, indent + '  ', out);
    }
  }
}

/** A YAML document for a mapping, with an optional comment header. */
export function toYaml(value: { [key: string]: YamlValue }, comment: string[] = []): string {
  const out = comment.map((c) => `# ${c}`);
  emit(value, '', out);
  return out.join('\n') + '\n';
}
