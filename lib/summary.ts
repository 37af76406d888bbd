// The Keras-like text table of model.summary(): layers, output shapes, parameter counts.
import type { Shape } from './tensor';
import type { SymbolicTensor } from './symbolic-tensor';

const batchShape = (s: Shape) => `(None, ${s.join(', ')})`;
const count = (n: number) => n.toLocaleString('en-US');

export function formatSummary(name: string, input: SymbolicTensor, nodes: readonly SymbolicTensor[]): string {
  const chain = nodes.every((n, i) => n.inputs.length === 1 && n.inputs[0] === (i === 0 ? input : nodes[i - 1]));
  const rows: string[][] = [[`${input.name} (Input)`, batchShape(input.shape), '0', '']];
  let trainable = 0;
  let frozen = 0;
  for (const node of nodes) {
    const layer = node.layer!;
    for (const p of layer.parameters()) {
      if (p.trainable) trainable += p.size;
      else frozen += p.size;
    }
    frozen += layer.countParams() - layer.parameters().reduce((n, p) => n + p.size, 0);
    rows.push([`${layer.name} (${layer.className})`, batchShape(node.shape), count(layer.countParams()), node.inputs.map((i) => i.name).join(', ')]);
  }
  const header = ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'];
  const columns = chain ? 3 : 4;
  const widths = header.slice(0, columns).map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)) + 2);
  const line = (cells: string[]) => cells.slice(0, columns).map((cell, c) => cell.padEnd(widths[c])).join('').trimEnd();
  const total = widths.reduce((a, b) => a + b, 0);
  return [
    `Model: "${name}"`,
    '_'.repeat(total),
    line(header),
    '='.repeat(total),
    ...rows.map(line),
    '='.repeat(total),
    `Total params: ${count(trainable + frozen)}`,
    `Trainable params: ${count(trainable)}`,
    `Non-trainable params: ${count(frozen)}`,
    '_'.repeat(total),
  ].join('\n');
}
