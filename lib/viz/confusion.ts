// Confusion matrices (metrics.confusionMatrix counts them: m[t][p] = number of images of true
// class t predicted as p): accuracy and a text table.

/** Fraction on the diagonal. */
export function accuracyOf(matrix: number[][]): number {
  let right = 0;
  let total = 0;
  matrix.forEach((row, t) => row.forEach((c, p) => {
    total += c;
    if (t === p) right += c;
  }));
  return total === 0 ? 0 : right / total;
}

/** Plain-text table: rows are true classes, columns predictions, with per-class recall. */
export function formatConfusionMatrix(matrix: number[][], classNames?: readonly string[]): string {
  const names = matrix.map((_, i) => classNames?.[i] ?? String(i));
  const cell = Math.max(4, ...names.map((n) => n.length), ...matrix.flat().map((c) => String(c).length)) + 1;
  const label = Math.max(5, ...names.map((n) => n.length)) + 1;
  const header = `${'true\\pred'.padEnd(label + 4)}${names.map((n) => n.padStart(cell)).join('')}   recall`;
  const rows = matrix.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const recall = total ? `${((100 * row[t]) / total).toFixed(1)}%` : '-';
    return `${names[t].padEnd(label + 4)}${row.map((c) => String(c).padStart(cell)).join('')}   ${recall.padStart(6)}`;
  });
  return [header, ...rows].join('\n');
}
