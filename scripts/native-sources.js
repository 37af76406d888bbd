#!/usr/bin/env node
// Lists the addon's C++ sources for binding.gyp, split by the ISA they are compiled for:
// `node scripts/native-sources.js avx512|avx2|base`. Kernels for one ISA are named *_<isa>.cc.
'use strict';
const fs = require('fs');
const path = require('path');

const ISAS = ['avx512', 'avx2'];
const root = path.join(__dirname, '..');

function sources(dir) {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.cc') ? [rel] : [];
  });
}

const which = process.argv[2];
const isaOf = (f) => ISAS.find((isa) => f.endsWith(`_${isa}.cc`)) ?? 'base';
if (which !== 'base' && !ISAS.includes(which)) {
  console.error(`usage: native-sources.js ${ISAS.join('|')}|base`);
  process.exit(2);
}
console.log(sources('native').filter((f) => isaOf(f) === which).sort().join(' '));
