// Browser test of the set-password page: `ecpts admin create EMAIL` (no
// --password-stdin) e-mails a /mot-de-passe/<token> link; the page sets
// the password once, logs in, and the link is then spent.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { decodeQuotedPrintable, login, newContext, startAll, stopAll, waitFor } from './harness.mjs';

const email = 'racine@exemple.fr';
const newPassword = 'Un-secret-tres-solide-47';

let server;
let browser;
let token;

/** The token of the /mot-de-passe/<token> link e-mailed to `to`. */
async function setupToken(dataDir, to) {
  const mailDir = path.join(dataDir, 'mail');
  if (!existsSync(mailDir)) return null;
  for (const f of await readdir(mailDir)) {
    if (!f.endsWith('.eml')) continue;
    const body = decodeQuotedPrintable(await readFile(path.join(mailDir, f), 'utf8'));
    if (!body.toLowerCase().includes(to)) continue;
    const m = body.match(/https?:\/\/[^\s"'<>]+\/mot-de-passe\/([A-Za-z0-9_-]+)/);
    if (m) return m[1];
  }
  return null;
}

describe('set-password link of ecpts admin create', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll({
      prepare: async (bin, dataDir) => {
        await promisify(execFile)(bin, ['admin', 'create', email, '--name', 'Camille Racine'], {
          cwd: dataDir,
          env: { ...process.env, ECPTS_DATA_DIR: dataDir, ECPTS_PUBLIC_URL: 'http://ecpts.invalid', ECPTS_DEMO: '' },
          timeout: 60_000,
        });
        token = await setupToken(dataDir, email);
        assert.ok(token, `no /mot-de-passe/ link in the mail written under ${dataDir}/mail`);
      },
    }));
  });

  after(() => stopAll(browser, server));

  test('an unknown link says so; the link sets the password once and logs in; the password then logs in', { timeout: 180_000 }, async () => {
    const ctx = await newContext(browser, server, { viewport: { width: 1366, height: 800 } });
    try {
      const page = await ctx.newPage();

      await page.goto('/mot-de-passe/pas-un-vrai-jeton');
      await page.getByRole('heading', { name: 'Lien non valable' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Aller à la connexion' }).count(), 1);

      await page.goto(`/mot-de-passe/${token}`);
      await page.getByRole('heading', { name: 'Choisir votre mot de passe' }).waitFor();
      assert.ok((await page.locator('.facts').innerText()).includes(email), 'the page names the account');
      assert.ok((await page.locator('.facts').innerText()).includes('Camille Racine'));

      // Two different passwords: caught before anything is sent.
      await page.getByLabel('Mot de passe', { exact: true }).fill(newPassword);
      await page.getByLabel('Confirmation du mot de passe').fill(newPassword + 'x');
      await page.getByRole('button', { name: 'Enregistrer le mot de passe et me connecter' }).click();
      await page.getByText('Les deux mots de passe ne correspondent pas.').waitFor();

      // Too weak: the server's rule, shown on the field.
      await page.getByLabel('Mot de passe', { exact: true }).fill('court');
      await page.getByLabel('Confirmation du mot de passe').fill('court');
      await page.getByRole('button', { name: 'Enregistrer le mot de passe et me connecter' }).click();
      await waitFor(async () => (await page.locator('[aria-invalid="true"]').count()) > 0, { what: 'the password field in error' });
      assert.ok(page.url().includes('/mot-de-passe/'), 'a refused password stays on the page');

      await page.getByLabel('Mot de passe', { exact: true }).fill(newPassword);
      await page.getByLabel('Confirmation du mot de passe').fill(newPassword);
      await page.getByRole('button', { name: 'Enregistrer le mot de passe et me connecter' }).click();
      await page.waitForURL((url) => url.pathname === '/');
      await page.locator('#barre-laterale').waitFor({ state: 'attached' });

      // The link is spent.
      const again = await ctx.newPage();
      await again.goto(`/mot-de-passe/${token}`);
      await again.getByRole('heading', { name: 'Lien non valable' }).waitFor();
    } finally {
      await ctx.close();
    }

    // A fresh browser logs in with the chosen password.
    const ctx2 = await newContext(browser, server, { viewport: { width: 1366, height: 800 } });
    try {
      await login(await ctx2.newPage(), email, newPassword);
    } finally {
      await ctx2.close();
    }
  });
});
