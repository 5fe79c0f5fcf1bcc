// French typography of every UI string of src/: no plain space before
// ":", ";", "?" or "!" (French puts a non-breaking space there: U+00A0, or
// the narrow U+202F), and no plain space inside « » quotes. The strings are
// read the way the compilers see them: string and template literals of the
// TypeScript (typescript's parser), and the text, attribute values and
// literals of the Svelte components (svelte's parser), so code such as
// `a ? b : c` is never mistaken for text.

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'svelte/compiler';
import ts from 'typescript';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
// Generated from the OpenAPI document (Go doc comments), not UI text.
const skip = new Set(['lib/api-types.ts']);

async function files(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(full)));
    else if (/\.(ts|svelte)$/.test(e.name) && !skip.has(path.relative(srcDir, full))) out.push(full);
  }
  return out;
}

/** The string and template literal texts of TypeScript source. */
function tsStrings(source, name) {
  const out = [];
  const sf = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      // Import paths and `import type` specifiers are no UI text.
      if (!ts.isImportDeclaration(node.parent) && !ts.isExportDeclaration(node.parent)) out.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The texts of a Svelte component: markup text, attribute values, literals. */
function svelteStrings(source, name) {
  const out = [];
  const ast = parse(source, { modern: true, filename: name });
  const seen = new Set();
  const walk = (node, key) => {
    if (!node || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (key === 'css' || node.type === 'StyleSheet') return;
    if (node.type === 'Text' && typeof node.data === 'string') out.push(node.data);
    if (node.type === 'Literal' && typeof node.value === 'string') out.push(node.value);
    if (node.type === 'TemplateElement') out.push(node.value?.cooked ?? node.value?.raw ?? '');
    if (node.type === 'ImportDeclaration' || node.type === 'ExportNamedDeclaration' || node.type === 'ExportAllDeclaration') {
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === 'parent' || k === 'loc' || k === 'start' || k === 'end') continue;
      if (Array.isArray(v)) for (const x of v) walk(x, k);
      else if (v && typeof v === 'object') walk(v, k);
    }
  };
  walk(ast);
  return out;
}

// A plain space (or a tab, a line break) before : ; ? ! that ends a word or
// stands alone, as in "Communes : ", "Quitter ?". Not "a:b" or "?:".
const badBefore = /[ \t\n]([:;?!])(?=\s|$|["'’»)<{])/u;
const badQuotes = /« |(?<!\S) »/u;

test('no UI string has a plain space before : ; ? ! or inside « »', async () => {
  const problems = [];
  for (const file of await files(srcDir)) {
    const rel = path.relative(srcDir, file);
    const source = await readFile(file, 'utf8');
    const strings = file.endsWith('.svelte') ? svelteStrings(source, rel) : tsStrings(source, rel);
    for (const s of strings) {
      if (badBefore.test(s) || badQuotes.test(s)) problems.push(`${rel}: ${JSON.stringify(s)}`);
    }
  }
  assert.deepEqual(problems, [], `plain spaces where French wants a non-breaking one (U+00A0 or U+202F):\n${problems.join('\n')}`);
});

test('the scan finds a plain space before a colon, and accepts a non-breaking one', () => {
  // The check itself can fail: a bad string is caught in both kinds of file.
  assert.ok(tsStrings("const x = { a: 'Communes : Roanne' };", 'x.ts').some((s) => badBefore.test(s)));
  assert.ok(svelteStrings('<p>Quitter ce canal ?</p>', 'x.svelte').some((s) => badBefore.test(s)));
  assert.ok(svelteStrings('<p title="Rôle : membre">x</p>', 'x.svelte').some((s) => badBefore.test(s)));
  assert.ok(!tsStrings("const y = 'Communes\u00a0: Roanne';", 'y.ts').some((s) => badBefore.test(s)));
  assert.ok(!svelteStrings('<script>const a = 1 ? 2 : 3;</script><p>{a ? "x" : "y"}</p>', 'y.svelte').some((s) => badBefore.test(s)));
  assert.ok(badQuotes.test('« Message supprimé »'));
  assert.ok(!badQuotes.test('«\u00a0Message supprimé\u00a0»'));
});
