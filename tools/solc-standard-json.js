#!/usr/bin/env node
// Speaks `solc --standard-json` on stdin/stdout through solcjs (the npm `solc` package), so that
// py-solc-x and Brownie can drive the pinned compiler without a native binary. Imports that are not
// in the input are read from the paths allowed by --base-path / --allow-paths / --include-path only.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const args = process.argv.slice(2);
const roots = [];
for (let i = 0; i < args.length; i++) {
  if (['--base-path', '--allow-paths', '--include-path'].includes(args[i]) && args[i + 1]) {
    for (const p of args[i + 1].split(',')) roots.push(path.resolve(p));
    i++;
  }
}
if (roots.length === 0) roots.push(process.cwd());

function findImports(importPath) {
  for (const root of roots) {
    const candidate = path.resolve(root, importPath);
    if (!roots.some((r) => candidate === r || candidate.startsWith(r + path.sep))) continue;
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `File not found inside the allowed paths: ${importPath}` };
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks).toString('utf8');
  process.stdout.write(solc.compile(input, { import: findImports }));
});
