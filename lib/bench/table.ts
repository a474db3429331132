/** Renders rows of cells as an aligned plain-text table or a markdown table. */

export type TableFormat = 'text' | 'markdown';

export interface Column {
  header: string;
  /** Numbers read best right-aligned. */
  align: 'left' | 'right';
}

function pad(cell: string, width: number, align: Column['align']): string {
  return align === 'right' ? cell.padStart(width) : cell.padEnd(width);
}

function markdownRule(column: Column, width: number): string {
  const dashes = '-'.repeat(Math.max(width - 1, 2));
  return column.align === 'right' ? `${dashes}:` : `:${dashes}`;
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], format: TableFormat): string {
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string[] => cells.map((cell, i) => pad(cell, widths[i], columns[i].align));
  const header = line(columns.map((column) => column.header));
  if (format === 'text') {
    return [header, ...rows.map(line)].map((cells) => cells.join('  ').trimEnd()).join('\n');
  }
  const rule = columns.map((column, i) => markdownRule(column, widths[i]));
  return [header, rule, ...rows.map(line)].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
