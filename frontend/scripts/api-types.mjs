// Generates src/lib/api-types.ts from the server's OpenAPI document
// (server/openapi.json, itself derived from the Go types) with
// openapi-typescript. `--check` regenerates into a temporary file and fails
// when it differs from the committed one: run `npm run api-types` and
// commit the result. src/lib/types.ts names these types for the app.

import openapiTS, { astToString } from 'openapi-typescript';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const spec = fileURLToPath(new URL('../../server/openapi.json', import.meta.url));
const target = fileURLToPath(new URL('../src/lib/api-types.ts', import.meta.url));
const header =
  '// Code generated from server/openapi.json by `npm run api-types` (openapi-typescript). DO NOT EDIT.\n' +
  '// Change the Go types, regenerate openapi.json (go test ./server -run TestOpenAPI -update), then this file.\n\n';

// The schemas only: the app names its types after them (types.ts), and
// the paths' types would be a few thousand lines of boilerplate nobody
// reads.
const doc = JSON.parse(readFileSync(spec, 'utf8'));
const ast = await openapiTS({ ...doc, paths: {} });
const text = header + astToString(ast);

if (!process.argv.includes('--check')) {
  writeFileSync(target, text);
  process.exit(0);
}

let committed = '';
try {
  committed = readFileSync(target, 'utf8');
} catch {
  // missing: reported as a difference below
}
if (committed === text) process.exit(0);

const dir = mkdtempSync(join(tmpdir(), 'api-types-'));
const fresh = join(dir, 'api-types.ts');
writeFileSync(fresh, text);
try {
  execFileSync('diff', ['-u', target, fresh], { stdio: 'inherit' });
} catch {
  // diff exits 1 on a difference: its output is the report
}
rmSync(dir, { recursive: true, force: true });
console.error('src/lib/api-types.ts is stale (server/openapi.json changed): run `npm run api-types` and commit it.');
process.exit(1);
