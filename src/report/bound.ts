// Where a report has a size limit (a job summary: 1 MiB; a pull-request comment: 65,536 characters), long
// tables are cut to the rows that fit, and the reader is told how many were left out.

/**
 * `render(shown, omitted)` with as many leading rows as fit (found by bisection: the text grows with the
 * rows), at least none. When every row fits, all are shown.
 */
export function fitRows<T>(
  rows: readonly T[],
  render: (shown: readonly T[], omitted: number) => string,
  fits: (text: string) => boolean,
): string {
  const all = render(rows, 0);
  if (fits(all)) return all;
  let low = 0;
  let high = rows.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(render(rows.slice(0, middle), rows.length - middle))) low = middle;
    else high = middle - 1;
  }
  return render(rows.slice(0, low), rows.length - low);
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function kibibytes(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KiB`;
}
