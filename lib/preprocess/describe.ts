/** Short descriptions of received values for error messages ("received ..."). */

const MAX_CHARS = 80;

function truncate(text: string): string {
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 3)}...` : text;
}

/**
 * A short, bounded description: numbers, booleans and null as themselves, strings quoted,
 * arrays and plain objects as (truncated) JSON, typed arrays and class instances by their type:
 * 3, "abc", [1, 2], {"shortest_edge":224}, Uint8Array(12), ArrayBuffer.
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return truncate(JSON.stringify(value));
  if (typeof value !== 'object') return typeof value;
  if (ArrayBuffer.isView(value) && 'length' in value) return `${value.constructor.name}(${String(value.length)})`;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value) || prototype === Object.prototype || prototype === null) {
    try {
      return truncate(JSON.stringify(value));
    } catch {
      return Array.isArray(value) ? 'Array' : 'Object';
    }
  }
  return (value as object).constructor?.name ?? 'Object';
}
