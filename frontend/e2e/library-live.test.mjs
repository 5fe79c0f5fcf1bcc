// Browser test of what the library does beyond its workflow: live updates
// (a protocol written, renamed or sent to review by one user shows in the
// list and on the page another user has open, without a reload; so does a
// material), a PDF picked for a protocol and previewed on its page, kept
// by the next text-only version, and a material edited (title, theme) and
// deleted through its buttons and the confirmation dialog.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiCall, canvasDrawn, cptsNamed, loggedInPage, startAll, stopAll, withDiagnostics as diagnose } from './harness.mjs';

const author = 'infirmiere@loire-nord.demo'; // Sophie Garnier, infirmière
const coordinator = 'coordination@loire-nord.demo';
const run = Date.now().toString(36);

const pdf = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n' +
    '4 0 obj<</Length 44>>stream\nBT /F1 24 Tf 40 70 Td (Protocole) Tj ET\nendstream endobj\n' +
    '5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

let server;
let browser;

/** A page of its own logged in as email (a demo account). */
const as = (email, viewport = { width: 1280, height: 900 }) => loggedInPage(browser, server, email, { viewport, timeout: 20_000 });

/** Runs fn; on failure adds screenshots and the server's last output. */
const withDiagnostics = (pages, name, fn) => diagnose(server, 'e2e', name, pages, fn);

describe('the library, live and with files', { concurrency: false }, () => {
  let coord;
  let nurse;
  let loire;
  let protocolURL = '';
  let protocolId = '';
  const title = `Douleur thoracique : orientation ${run}`;

  before(async () => {
    ({ server, browser } = await startAll());
    coord = await as(coordinator);
    nurse = await as(author);
    loire = await cptsNamed(coord, 'CPTS Loire Nord');
  });
  after(() => stopAll(browser, server));

  test('a protocol written, renamed and sent to review shows live in the list and on the page', { timeout: 180_000 }, async () => {
    await withDiagnostics({ coord, nurse }, 'library-live', async () => {
      // The coordinator's library is open.
      const ln = coord.locator('#barre-laterale section', { hasText: 'CPTS Loire Nord' });
      await ln.getByRole('link', { name: 'Protocoles' }).click();
      await coord.getByRole('heading', { name: 'Protocoles', level: 1 }).waitFor();
      await coord.locator('.protocol-item').first().waitFor();
      const before = await coord.locator('.protocol-item').count();

      // The nurse writes a protocol: it appears in the open list.
      const { protocol } = await apiCall(nurse, 'POST', '/api/v1/protocols', { cpts_id: loire.id, title });
      protocolId = protocol.id;
      protocolURL = `/protocoles/${protocolId}`;
      const item = coord.locator('.protocol-item', { hasText: title });
      await item.waitFor();
      assert.equal(await item.getAttribute('data-status'), 'brouillon');
      assert.equal(await coord.locator('.protocol-item').count(), before + 1);

      // The coordinator opens it; the nurse renames it and sends it to
      // review: the open page follows.
      await item.getByRole('link', { name: title }).click();
      await coord.waitForURL(`**${protocolURL}`);
      await coord.getByTestId('status').filter({ hasText: 'Brouillon' }).waitFor();
      await apiCall(nurse, 'PATCH', `/api/v1/protocols/${protocolId}`, { title: `${title} (ville)` });
      await coord.getByRole('heading', { level: 1, name: `${title} (ville)` }).waitFor();
      const me = await (await coord.request.get('/api/v1/me')).json();
      await apiCall(nurse, 'POST', `/api/v1/protocols/${protocolId}/submit`, { reviewer_ids: [me.user.id] });
      await coord.getByTestId('status').filter({ hasText: 'En relecture' }).waitFor();
      await coord.getByRole('button', { name: 'Approuver' }).waitFor();
    });
  });

  test('a material added elsewhere shows live in the open list', { timeout: 120_000 }, async () => {
    await withDiagnostics({ coord, nurse }, 'materials-live', async () => {
      const ln = coord.locator('#barre-laterale section', { hasText: 'CPTS Loire Nord' });
      await ln.getByRole('link', { name: 'Prévention' }).click();
      await coord.getByRole('heading', { name: 'Prévention', level: 1 }).waitFor();
      const list = coord.getByTestId('materials');
      await list.locator('li').first().waitFor();
      await apiCall(nurse, 'POST', '/api/v1/materials', {
        cpts_id: loire.id,
        title: `Bouger chaque jour ${run}`,
        url: 'https://prevention.example.org/activite',
        theme: 'activite_physique',
        audience: 'patients',
      });
      await list.getByText(`Bouger chaque jour ${run}`).waitFor();
    });
  });

  test('a PDF picked for a protocol is shown and previewed on its page, and kept by a text-only version', { timeout: 180_000 }, async () => {
    await withDiagnostics({ nurse }, 'protocol-pdf', async () => {
      assert.ok(protocolURL, 'the first test wrote a protocol');
      await nurse.goto(protocolURL);
      await nurse.getByTestId('status').waitFor();
      await nurse.getByRole('button', { name: 'Modifier' }).click();
      const editor = nurse.locator('form.editor');
      await editor.locator('input[type="file"]').setInputFiles({ name: 'douleur-thoracique.pdf', mimeType: 'application/pdf', buffer: pdf });
      // Uploaded: the editor shows it, ready to attach.
      await editor.getByRole('link', { name: 'douleur-thoracique.pdf', exact: true }).waitFor();
      await editor.getByLabel('Résumé de la modification').fill('Logigramme en PDF');
      await editor.getByRole('button', { name: 'Enregistrer' }).click();
      await nurse.getByTestId('versions').getByText('Version\u00a02').waitFor();
      const section = nurse.locator('section', { has: nurse.getByRole('heading', { name: 'Document PDF' }) });
      const link = section.getByRole('link', { name: 'douleur-thoracique.pdf', exact: true });
      await link.waitFor();
      await section.getByRole('button', { name: 'Aperçu' }).click();
      const canvas = section.locator('canvas').first();
      await canvas.waitFor();
      await canvasDrawn(canvas);
      const href = await link.getAttribute('href');

      // A text change only: version 3 keeps the PDF.
      await nurse.getByRole('button', { name: 'Modifier' }).click();
      const body = editor.getByLabel('Contenu (Markdown)');
      await body.fill(`${await body.inputValue()}\n\nAppeler le 15 devant toute douleur thoracique de plus de 20 minutes.\n`);
      await editor.getByLabel('Résumé de la modification').fill('Signe d’alerte');
      await editor.getByRole('button', { name: 'Enregistrer' }).click();
      await nurse.getByTestId('versions').getByText('Version\u00a03').waitFor();
      await nurse.getByTestId('protocol-body').getByText('Appeler le 15').waitFor();
      assert.equal(await section.getByRole('link', { name: 'douleur-thoracique.pdf', exact: true }).getAttribute('href'), href);
      const { protocol } = await (await nurse.request.get(`/api/v1/protocols/${protocolId}`)).json();
      assert.equal(protocol.current_version, 3);
      assert.ok(protocol.pdf, 'version 3 has the PDF');
    });
  });

  test('a material is edited (title, theme) and deleted through its buttons', { timeout: 120_000 }, async () => {
    await withDiagnostics({ nurse }, 'materials-edit', async () => {
      const ln = nurse.locator('#barre-laterale section', { hasText: 'CPTS Loire Nord' });
      await ln.getByRole('link', { name: 'Prévention' }).click();
      await nurse.getByRole('heading', { name: 'Prévention', level: 1 }).waitFor();
      const list = nurse.getByTestId('materials');
      const card = list.locator('li', { hasText: `Bouger chaque jour ${run}` });
      await card.waitFor();
      const count = await list.locator('li').count();
      await card.getByRole('button', { name: 'Modifier' }).click();
      const form = card.getByRole('form', { name: 'Modifier le support' });
      await form.getByLabel('Titre').fill(`Marcher 30 minutes par jour ${run}`);
      await form.getByLabel('Thème').selectOption('nutrition');
      await form.getByRole('button', { name: 'Enregistrer' }).click();
      const edited = list.locator('li', { hasText: `Marcher 30 minutes par jour ${run}` });
      await edited.waitFor();
      await form.waitFor({ state: 'detached' });
      await edited.locator('.badge', { hasText: 'Nutrition' }).waitFor();
      // The server has it too.
      const { items } = await (await nurse.request.get('/api/v1/materials?limit=200')).json();
      const stored = items.find((m) => m.title === `Marcher 30 minutes par jour ${run}`);
      assert.equal(stored?.theme, 'nutrition');

      // Deleting asks first; cancelling keeps it.
      await edited.getByRole('button', { name: 'Supprimer' }).click();
      const dialog = nurse.getByRole('dialog', { name: 'Supprimer ce support\u00a0?' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Annuler' }).click();
      await dialog.waitFor({ state: 'hidden' });
      assert.equal(await edited.count(), 1);
      await edited.getByRole('button', { name: 'Supprimer' }).click();
      await dialog.getByRole('button', { name: 'Supprimer' }).click();
      await edited.waitFor({ state: 'detached' });
      assert.equal(await list.locator('li').count(), count - 1);
      const res = await nurse.request.get(`/api/v1/materials/${stored.id}`);
      assert.equal(res.status(), 404);
    });
  });
});
