// Bundles one TypeScript module of src/ (and what it imports) into a
// temporary ES module with Vite, so node --test can import it: the unit
// tests exercise the shipped code, not a copy. Returns the module. The
// Svelte plugin compiles runes in .svelte.ts modules as the app build does.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles src/<entry> and imports it; cleanup() removes the files. */
export async function bundle(entry) {
  const outDir = await mkdtemp(path.join(tmpdir(), 'ecpts-unit-'));
  await build({
    configFile: false,
    root: frontendDir,
    logLevel: 'warn',
    plugins: [svelte()],
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      write: true,
      target: 'es2022',
      lib: { entry: path.join(frontendDir, 'src', entry), formats: ['es'], fileName: 'module' },
      rollupOptions: { output: { entryFileNames: 'module.mjs' } },
    },
  });
  const mod = await import(pathToFileURL(path.join(outDir, 'module.mjs')).href);
  return { mod, cleanup: () => rm(outDir, { recursive: true, force: true }) };
}
