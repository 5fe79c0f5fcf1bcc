// Browser test of the search against the real binary with the demo data:
// a nurse of CPTS Loire Nord types "HTA" in the top bar's box (opened
// with Ctrl+K), finds the reply that says "hypertension artérielle" and
// jumps to it in its thread; the Val de Cher pharmacist, of another CPTS,
// finds nothing of it. The index is the real one (bleve in the data
// directory), filled by the server from the store.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, startServer, waitFor } from './harness.mjs';

const password = 'demo-ecpts';
const nurse = 'infirmiere@loire-nord.demo';
const pharmacist = 'pharmacien@val-de-cher.demo';

let server;
let browser;

async function newPage(viewport = { width: 1280, height: 800 }) {
  const ctx = await browser.newContext({ baseURL: server.baseURL, locale: 'fr-FR', viewport });
  ctx.setDefaultTimeout(15_000);
  return ctx.newPage();
}

async function login(page, email) {
  await page.goto('/connexion');
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/connexion'));
  await page.locator('#barre-laterale').waitFor({ state: 'attached' });
}

async function searchAPI(page, q) {
  const res = await page.request.get(`/api/v1/search?q=${encodeURIComponent(q)}`);
  assert.equal(res.status(), 200, `search ${q}: ${res.status()} ${await res.text()}`);
  return res.json();
}

async function withDiagnostics(name, page, fn) {
  try {
    await fn();
  } catch (err) {
    const shot = path.join(server.dataDir, '..', `ecpts-search-${name}-${Date.now()}.png`);
    await page?.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    err.message += `\n(${page?.url()} → ${shot})\n--- ecpts output (tail) ---\n${server.logs().split('\n').slice(-40).join('\n')}`;
    throw err;
  }
}

describe('search', { concurrency: false }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });

  test('"HTA" finds the message saying "hypertension artérielle" and opens it in its thread', { timeout: 120_000 }, async () => {
    const page = await newPage();
    await withDiagnostics('hta', page, async () => {
      await login(page, nurse);
      // The server fills the index from the store after it starts.
      await waitFor(async () => (await searchAPI(page, 'HTA')).hits?.length > 0, { timeout: 30_000, what: 'the demo data to be indexed' });

      await page.keyboard.press('Control+k');
      const box = page.getByRole('searchbox', { name: 'Rechercher' });
      // The text box takes the bar (a full-width control beside it once
      // squeezed it to 24 px).
      const boxWidth = (await box.boundingBox()).width;
      assert.ok(boxWidth >= 200, `search box ${boxWidth}px wide at 1280px`);
      await waitFor(async () => box.evaluate((el) => el === document.activeElement), { what: 'Ctrl+K to focus the search box' });
      await box.pressSequentially('HTA', { delay: 40 });
      const results = page.locator('#recherche-resultats');
      await results.getByRole('heading', { name: 'Messages' }).waitFor();
      const hit = results.locator('a', { hasText: 'hypertension artérielle' });
      await hit.waitFor();
      // The words found are highlighted.
      assert.match((await hit.locator('mark').allTextContents()).join(' ').toLowerCase(), /hypertension/);

      await hit.click();
      await page.waitForURL((url) => url.pathname.startsWith('/canaux/') && url.searchParams.has('fil') && url.searchParams.has('seq'));
      const panel = page.locator('.thread-panel');
      const found = panel.locator('article.message', { hasText: 'hypertension artérielle' });
      await found.waitFor();
      await waitFor(async () => (await found.getAttribute('class'))?.includes('search-found'), { what: 'the message to be highlighted' });
      // Its thread's root is there too: the jump landed in the right thread.
      await panel.locator('article.message', { hasText: 'tension à 17/10' }).waitFor();
    });
  });

  test('a user of another CPTS finds nothing of it', { timeout: 120_000 }, async () => {
    const page = await newPage();
    await withDiagnostics('other-cpts', page, async () => {
      await login(page, pharmacist);
      // The index holds his own CPTS's messages: he does find those.
      await waitFor(async () => (await searchAPI(page, 'amoxicilline')).hits?.length > 0, { timeout: 30_000, what: 'the demo data to be indexed' });
      // Nothing of Loire Nord's conversation; his own CPTS's prevention
      // material on chronic diseases ("diabète, hypertension…") he may read.
      for (const q of ['HTA', 'hypertension artérielle', 'hypertension', 'tension 17/10']) {
        const res = await searchAPI(page, q);
        const others = [];
        for (const h of res.hits ?? []) {
          if (h.type === 'material' && (await page.request.get(`/api/v1/materials/${h.id}`)).status() === 200) continue;
          others.push(h);
        }
        assert.equal(others.length, 0, `${q}: ${JSON.stringify(others)}`);
      }
      await page.keyboard.press('Control+k');
      const box = page.getByRole('searchbox', { name: 'Rechercher' });
      await box.pressSequentially('type:message HTA', { delay: 40 });
      await page.locator('#recherche-resultats').getByText('Aucun résultat.').waitFor();
      assert.equal(await page.locator('#recherche-resultats a', { hasText: 'hypertension artérielle' }).count(), 0);
    });
  });
  test('"protocol cystyte" (misspelt, no accent) opens the cystite protocol', { timeout: 120_000 }, async () => {
    const page = await newPage();
    await withDiagnostics('protocol', page, async () => {
      await login(page, nurse);
      await waitFor(async () => (await searchAPI(page, 'protocol cystyte')).hits?.some((h) => h.type === 'protocol'), {
        timeout: 30_000,
        what: 'the demo protocols to be indexed',
      });
      await page.keyboard.press('Control+k');
      const box = page.getByRole('searchbox', { name: 'Rechercher' });
      await box.pressSequentially('protocol cystyte', { delay: 30 });
      const results = page.locator('#recherche-resultats');
      const group = results.locator('section', { has: page.getByRole('heading', { name: 'Protocoles' }) });
      const hit = group.locator('a', { hasText: 'Cystite aiguë simple de la femme' });
      await hit.waitFor();
      await hit.click();
      await page.waitForURL((url) => url.pathname.startsWith('/protocoles/'));
      await page.getByRole('heading', { name: /Cystite aiguë simple de la femme/ }).first().waitFor();
    });
  });

  test('a user of another CPTS finds nothing of a protocol not shared with it', { timeout: 120_000 }, async () => {
    const page = await newPage();
    await withDiagnostics('protocol-other-cpts', page, async () => {
      await login(page, pharmacist);
      // The cystite protocol is shared with Val de Cher: he finds it…
      await waitFor(async () => (await searchAPI(page, 'cystite')).hits?.some((h) => h.type === 'protocol'), {
        timeout: 30_000,
        what: 'the shared protocol to be found',
      });
      // …but not the falls protocol (Loire Nord only) nor the wounds draft.
      for (const q of ['chute personne agee', 'Chutes de la personne âgée', 'plaies escarre', 'ulcère de jambe', 'type:protocole chutes']) {
        const res = await searchAPI(page, q);
        const leaked = (res.hits ?? []).filter((h) => h.type === 'protocol');
        assert.equal(leaked.length, 0, `${q}: ${JSON.stringify(leaked)}`);
      }
      await page.keyboard.press('Control+k');
      const box = page.getByRole('searchbox', { name: 'Rechercher' });
      await box.pressSequentially('type:protocole chute personne agee', { delay: 30 });
      await page.locator('#recherche-resultats').getByText('Aucun résultat.').waitFor();
    });
  });

  test('filters as controls, on a phone: type with counts, protocol status, group, period', { timeout: 120_000 }, async () => {
    const page = await newPage({ width: 390, height: 844 });
    await withDiagnostics('filters', page, async () => {
      await login(page, 'kine@loire-nord.demo');
      await waitFor(async () => (await searchAPI(page, 'chute')).hits?.some((h) => h.type === 'protocol'), {
        timeout: 30_000,
        what: 'the demo data to be indexed',
      });
      const box = page.getByRole('searchbox', { name: 'Rechercher' });
      // Usable on a phone: the box keeps a real width.
      assert.ok((await box.boundingBox()).width >= 120, `search box too narrow: ${JSON.stringify(await box.boundingBox())}`);
      await page.getByRole('button', { name: 'Filtres' }).click();
      const results = page.locator('#recherche-resultats');
      // Controls alone search: validated protocols, counted by type.
      await page.locator('#recherche-type').selectOption('protocol');
      await page.locator('#recherche-statut').selectOption('valide');
      await results.getByRole('heading', { name: 'Protocoles' }).waitFor();
      assert.deepEqual(await results.locator('h2').allTextContents(), ['Protocoles']);
      await waitFor(async () => /Protocoles\u00a0\(\d+\)/.test(await page.locator('#recherche-type option[value=protocol]').textContent()), {
        what: 'the count of protocols in the type control',
      });
      assert.equal(await results.locator('a', { hasText: 'Canicule' }).count(), 0, 'an archived protocol among the validated ones');
      // The results fit the screen.
      const r = await results.boundingBox();
      assert.ok(r.x >= 0 && r.x + r.width <= 390, `results off screen: ${JSON.stringify(r)}`);
      // Text and a group: the falls group's channel only.
      await page.locator('#recherche-type').selectOption('');
      await page.locator('#recherche-statut').selectOption('');
      await box.fill('chute');
      await page.locator('#recherche-groupe').selectOption({ label: 'Prévention chutes' });
      await results.locator('a', { hasText: 'Après une chute à domicile' }).waitFor();
      await waitFor(async () => (await results.locator('a', { hasText: 'Chutes de la personne âgée' }).count()) === 0, {
        what: 'the protocol (not in the group) to leave the results',
      });
      // An empty period: said in French.
      await page.locator('#recherche-du').fill('2099-01-01');
      await page.locator('#recherche-au').fill('2098-01-01');
      await results.getByText('La période est vide').waitFor();
      await results.getByRole('button', { name: 'Effacer les filtres' }).click();
      await results.locator('a', { hasText: 'Chutes de la personne âgée' }).waitFor();
    });
  });

  test('keyboard: Ctrl+K, arrows and Enter open a result, Escape closes', { timeout: 120_000 }, async () => {
    const page = await newPage();
    await withDiagnostics('keyboard', page, async () => {
      await login(page, nurse);
      await waitFor(async () => (await searchAPI(page, 'kiné chute')).hits?.length > 1, { timeout: 30_000, what: 'the demo data to be indexed' });
      await page.keyboard.press('Control+k');
      await page.keyboard.type('kiné chute');
      const results = page.locator('#recherche-resultats');
      await results.locator('a').nth(1).waitFor();
      const second = await results.locator('a').nth(1).getAttribute('href');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), second);
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.pathname + url.search + url.hash === second);
      await page.keyboard.press('Control+k');
      await results.waitFor();
      await page.keyboard.press('Escape');
      await results.waitFor({ state: 'detached' });
      // Accented letters typed while results show (as an input method or
      // a dead key sends them) land at the caret, not at the start.
      await page.keyboard.press('Control+k');
      await page.keyboard.press('Backspace');
      for (const ch of 'soir') {
        await page.keyboard.type(ch);
        await page.waitForTimeout(150);
      }
      await results.locator('p').first().waitFor();
      await page.waitForTimeout(400);
      await page.keyboard.insertText('é');
      await page.keyboard.type('e cy');
      assert.equal(await page.getByRole('searchbox', { name: 'Rechercher' }).inputValue(), 'soirée cy');
    });
  });

  test('a message far back in its channel opens there, with the history around it', { timeout: 180_000 }, async () => {
    const page = await newPage();
    await withDiagnostics('deep', page, async () => {
      await login(page, nurse);
      const csrf = (await (await page.request.get('/api/v1/me')).json()).csrf_token;
      const chans = (await (await page.request.get('/api/v1/channels')).json()).channels;
      const general = chans.find((c) => c.name === 'général');
      // Sent at the pace the server allows one user (429: wait and retry).
      const post = async (body) => {
        const data = { client_id: crypto.randomUUID(), body };
        for (;;) {
          const res = await page.request.post(`/api/v1/channels/${general.id}/messages`, { headers: { 'X-CSRF-Token': csrf }, data });
          if (res.status() === 429) {
            await new Promise((r) => setTimeout(r, 1000 * Number(res.headers()['retry-after'] ?? 1)));
            continue;
          }
          assert.equal(res.status(), 201, await res.text());
          return;
        }
      };
      await post('Avant le repère : réunion du bureau mardi.');
      await post('Le repère zéphyrin est ici : dossier de coordination de Mme T.');
      await post('Après le repère : compte rendu envoyé.');
      // More than two pages of newer messages push it out of the first ones.
      for (let i = 1; i <= 110; i++) await post(`Message de remplissage numéro ${i}.`);
      await waitFor(async () => (await searchAPI(page, 'zéphyrin')).hits?.length === 1, { timeout: 30_000, what: 'the message to be indexed' });
      await page.keyboard.press('Control+k');
      await page.keyboard.type('zephyrin');
      const hit = page.locator('#recherche-resultats a', { hasText: 'dossier de coordination' });
      await hit.click();
      await page.waitForURL((url) => url.pathname === `/canaux/${general.id}` && url.searchParams.has('seq'));
      const found = page.locator('.chat article.message', { hasText: 'Le repère zéphyrin est ici' });
      await found.waitFor();
      await waitFor(async () => (await found.getAttribute('class'))?.includes('search-found'), { what: 'the message to be highlighted' });
      assert.ok(await found.isVisible(), 'the message is not scrolled into view');
      // Its neighbours are loaded: the conversation around it reads on.
      await page.locator('.chat article.message', { hasText: 'Avant le repère' }).waitFor({ state: 'attached' });
      await page.locator('.chat article.message', { hasText: 'Après le repère' }).waitFor({ state: 'attached' });
    });
  });

  test('a publication and a prevention material open from their groups', { timeout: 120_000 }, async () => {
    const page = await newPage();
    await withDiagnostics('post-material', page, async () => {
      await login(page, nurse);
      await waitFor(async () => (await searchAPI(page, 'affiche novembre')).hits?.some((h) => h.type === 'material'), {
        timeout: 30_000,
        what: 'the demo data to be indexed',
      });
      const box = page.getByRole('searchbox', { name: 'Rechercher' });
      const results = page.locator('#recherche-resultats');
      const group = (name) => results.locator('section', { has: page.getByRole('heading', { name, exact: true }) });
      await page.keyboard.press('Control+k');
      await box.pressSequentially('soiree cystite', { delay: 30 });
      await group('Publications').locator('a', { hasText: 'Soirée pluriprofessionnelle' }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/publications/'));
      await page.getByRole('heading', { name: /Soirée pluriprofessionnelle : cystite simple et AVK/ }).waitFor();
      await page.keyboard.press('Control+k');
      await box.fill('');
      await box.pressSequentially('affiche novembre', { delay: 30 });
      const hit = group('Documents de prévention').locator('a', { hasText: 'Affiche : en novembre' });
      const href = await hit.getAttribute('href');
      await hit.click();
      await page.waitForURL((url) => url.pathname.endsWith('/prevention') && url.hash.startsWith('#support-'));
      const card = page.locator(href.slice(href.indexOf('#')));
      await card.waitFor();
      assert.match(await card.textContent(), /Affiche : en novembre, on arrête ensemble/);
    });
  });
});
