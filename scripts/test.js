#!/usr/bin/env node
// Runs the ava suite with TAP output and closes with the line CI reads: "N passed, N failed".
// Extra arguments go to ava (e.g. `node scripts/test.js test/tensor.test.ts`).
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const ava = path.join(__dirname, '..', 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const child = spawn(process.execPath, [ava, '--tap', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });

const counts = { pass: 0, fail: 0, skip: 0 };
let pending = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  pending += chunk.toString();
  const lines = pending.split('\n');
  pending = lines.pop();
  for (const line of lines) {
    const summary = /^# (pass|fail|skip) (\d+)$/.exec(line);
    if (summary) counts[summary[1]] = Number(summary[2]);
  }
});

child.on('close', (code, signal) => {
  const skipped = counts.skip ? `, ${counts.skip} skipped` : '';
  console.log(`\n${counts.pass} passed, ${counts.fail} failed${skipped}`);
  process.exit(code === 0 && counts.fail === 0 && counts.pass > 0 ? 0 : code || 1);
  void signal;
});
