// Browser test of the protocol library against the real binary with the
// demo data: a protocol goes from brouillon through relecture (two
// reviewers of two professions, one asking for a change, a second version
// and its diff) to validé; a member acknowledges it and the coordinator
// sees it by profession; a Val de Cher user cannot open it by URL or API.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { canvasDrawn, loggedInPage, startAll, stopAll, waitFor, withDiagnostics as diagnose } from './harness.mjs';

const author = 'infirmiere@loire-nord.demo'; // Sophie Garnier, infirmière
const pharmacist = 'pharmacie@loire-nord.demo'; // Inès Caron, pharmacienne
const physio = 'kine@loire-nord.demo'; // Marc Lefèvre, kinésithérapeute
const coordinator = 'coordination@loire-nord.demo';
const outsider = 'pharmacien@val-de-cher.demo';

// A one-page PDF saying "Dépistage", padded (in a comment) to about 1 MB so
// that a throttled upload shows its progress.
const posterPDF = Buffer.from(
  '%PDF-1.4\n%' + 'x'.repeat(1_000_000) + '\n' +
    '1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n' +
    '4 0 obj<</Length 44>>stream\nBT /F1 24 Tf 40 70 Td (Depistage) Tj ET\nendstream endobj\n' +
    '5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

// A 2×2 PNG.
const tinyPNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGNQaDgARAwQCgAkDgWBfAdHdAAAAABJRU5ErkJggg==', 'base64');

let server;
let browser;

/** A page of its own logged in as email (a demo account). */
const as = (email, viewport = { width: 1280, height: 900 }) => loggedInPage(browser, server, email, { viewport, timeout: 20_000 });

/** Runs fn; on failure adds a screenshot and the server's last output. */
const withDiagnostics = (page, name, fn) => diagnose(server, 'e2e', name, page, fn);

/**
 * From the home page, opens Loire Nord's "Prévention" page and its
 * "Ajouter un support" form, titled, with "Un fichier" chosen.
 */
async function openFileMaterialForm(page, title) {
  await page.goto('/');
  const ln = page.locator('#barre-laterale section', { hasText: 'CPTS Loire Nord' });
  await ln.getByRole('link', { name: 'Prévention' }).click();
  await page.getByRole('heading', { name: 'Prévention', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Ajouter un support' }).click();
  await page.getByLabel('Titre').fill(title);
  await page.getByLabel('Un fichier').check();
}

describe('protocol library in a browser', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll());
  });
  after(() => stopAll(browser, server));

  let protocolURL = '';

  test('brouillon → relecture → validé, with a change request, a diff and acknowledgements', { timeout: 300_000 }, async () => {
    // The author writes it from the template.
    const page = await as(author);
    await withDiagnostics(page, 'library-write', async () => {
      const ln = page.locator('#barre-laterale section', { hasText: 'CPTS Loire Nord' });
      await ln.getByRole('link', { name: 'Protocoles' }).click();
      await page.getByRole('heading', { name: 'Protocoles', level: 1 }).waitFor();
      // The demo library: flags for the protocol past its review date.
      await page.locator('.protocol-item', { hasText: 'Chutes de la personne âgée' }).getByText('Révision dépassée').waitFor();
      await page.getByLabel('Révision à prévoir (30\u00a0jours)').check();
      await page.getByText('1 protocole', { exact: true }).waitFor();
      await page.getByLabel('Révision à prévoir (30\u00a0jours)').uncheck();

      await page.getByRole('link', { name: 'Écrire un protocole' }).click();
      const body = page.getByLabel('Contenu (Markdown)');
      await assert.doesNotReject(async () => {
        const v = await body.inputValue();
        assert.match(v, /## Conduite à tenir/);
      });
      await page.getByLabel('Titre').fill('Entorse de cheville : premier recours kiné et pharmacien');
      await page.getByRole('checkbox', { name: 'Pharmacien·ne' }).check();
      await page.getByRole('checkbox', { name: 'Masseur-kinésithérapeute' }).check();
      await body.fill('## Objet\n\nPrise en charge de l\'entorse bénigne de cheville.\n\n## Conduite à tenir / logigramme\n\n1. Appliquer le protocole RICE pendant 48 heures.\n');
      // The live preview renders it.
      await page.getByTestId('preview').locator('h3', { hasText: 'Objet' }).waitFor();
      await page.getByRole('button', { name: 'Créer le brouillon' }).click();
      await page.waitForURL(/\/protocoles\/[0-9a-f]{24}$/);
      protocolURL = new URL(page.url()).pathname;
      await page.getByTestId('status').filter({ hasText: 'Brouillon' }).waitFor();
      // One reviewer per target profession is suggested and ticked.
      assert.equal(await page.getByRole('checkbox', { name: /Inès Caron/ }).isChecked(), true);
      assert.equal(await page.getByRole('checkbox', { name: /Marc Lefèvre/ }).isChecked(), true);
      await page.getByRole('button', { name: 'Envoyer en relecture' }).click();
      await page.getByTestId('status').filter({ hasText: 'En relecture' }).waitFor();
    });

    // The pharmacist asks for a change.
    const pharma = await as(pharmacist);
    await withDiagnostics(pharma, 'library-changes', async () => {
      await pharma.goto(protocolURL);
      await pharma.getByLabel('Commentaire').fill('Préciser la durée de l\'antalgique.');
      await pharma.getByRole('button', { name: 'Demander des modifications' }).click();
      await pharma.getByTestId('reviewers').locator('li[data-decision="changes_requested"]').waitFor();
    });

    // The author writes version 2; its diff shows.
    await withDiagnostics(page, 'library-v2', async () => {
      await page.reload();
      await page.getByText('Préciser la durée de l\'antalgique.').waitFor();
      await page.getByRole('button', { name: 'Modifier' }).click();
      const body = page.getByLabel('Contenu (Markdown)');
      await body.fill((await body.inputValue()).replace('bénigne', 'simple').replace('pendant 48 heures.', 'pendant 48 heures ; paracétamol pendant 3 jours au plus.'));
      await page.getByLabel('Résumé de la modification').fill('Durée de l\'antalgique');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByTestId('versions').getByText('Version\u00a02').waitFor();
      await page.getByRole('button', { name: 'Afficher les différences' }).click();
      const diff = page.getByTestId('diff');
      await diff.locator('ins', { hasText: 'paracétamol' }).waitFor();
      await diff.locator('del', { hasText: 'bénigne' }).waitFor();
    });

    // Both reviewers approve version 2.
    await withDiagnostics(pharma, 'library-approve', async () => {
      await pharma.reload();
      await pharma.getByRole('button', { name: 'Approuver' }).click();
      await pharma.getByTestId('reviewers').locator('li[data-decision="approve"]').waitFor();
    });
    const kine = await as(physio);
    await withDiagnostics(kine, 'library-approve2', async () => {
      await kine.goto(protocolURL);
      await kine.getByRole('button', { name: 'Approuver' }).click();
      await kine.getByTestId('reviewers').locator('li[data-decision="approve"]').nth(1).waitFor();
    });

    // The coordinator validates.
    const coord = await as(coordinator);
    await withDiagnostics(coord, 'library-validate', async () => {
      // Her home page flags the protocol past its review date.
      await coord.getByTestId('review-due').getByText(/Chutes de la personne âgée/).waitFor();
      await coord.goto(protocolURL);
      await coord.getByRole('button', { name: 'Valider le protocole' }).click();
      await coord.getByTestId('status').filter({ hasText: 'Validé' }).waitFor();
    });

    // A member acknowledges; the coordinator sees it under her profession.
    await withDiagnostics(kine, 'library-ack', async () => {
      await kine.reload();
      await kine.getByRole('button', { name: 'J\u2019ai lu et j\u2019applique' }).click();
      await kine.getByTestId('acked').waitFor();
    });
    await withDiagnostics(coord, 'library-report', async () => {
      await coord.reload();
      const report = coord.getByTestId('ack-report');
      await report.getByText('1 confirmé, 1 en attente').waitFor();
      const physios = report.locator('[data-profession="masseur_kinesitherapeute"]');
      assert.match(await physios.textContent(), /Ont confirmé\s*:\s*Marc Lefèvre/);
      const pharmacists = report.locator('[data-profession="pharmacien"]');
      assert.match(await pharmacists.textContent(), /En attente\s*:\s*Inès Caron/);
      await coord.getByRole('button', { name: 'Relancer ceux qui n\u2019ont pas confirmé' }).click();
      await coord.getByText('1 rappel envoyé par e-mail.').waitFor();
      // The A4 print view shows the protocol alone.
      await coord.emulateMedia({ media: 'print' });
      assert.equal(await coord.locator('#barre-laterale').isVisible(), false, 'no sidebar in print');
      assert.equal(await coord.getByTestId('ack-report').isVisible(), false, 'no panels in print');
      assert.equal(await coord.getByTestId('protocol-body').isVisible(), true);
      await coord.emulateMedia({ media: 'screen' });
    });

    // A new validated version asks for a new acknowledgement: the author
    // writes version 3, the reviewers approve it, the coordinator
    // validates it; the physiotherapist, who confirmed version 2, is asked
    // again, and the report starts over.
    await withDiagnostics(page, 'library-v3', async () => {
      await page.reload();
      await page.getByRole('button', { name: 'Modifier' }).click();
      const body = page.getByLabel('Contenu (Markdown)');
      await body.fill((await body.inputValue()).replace('paracétamol pendant 3 jours au plus.', 'paracétamol pendant 3 jours au plus ; revoir à J3.'));
      await page.getByLabel('Résumé de la modification').fill('Revoir à J3');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByTestId('versions').getByText('Version\u00a03').waitFor();
      await page.getByRole('button', { name: 'Envoyer en relecture' }).click();
      await page.getByTestId('status').filter({ hasText: 'En relecture' }).waitFor();
    });
    for (const [reviewer, n, name] of [[pharma, 0, 'library-v3-approve'], [kine, 1, 'library-v3-approve2']]) {
      await withDiagnostics(reviewer, name, async () => {
        await reviewer.reload();
        await reviewer.getByRole('button', { name: 'Approuver' }).click();
        await reviewer.getByTestId('reviewers').locator('li[data-decision="approve"]').nth(n).waitFor();
      });
    }
    await withDiagnostics(coord, 'library-v3-validate', async () => {
      await coord.reload();
      await coord.getByRole('button', { name: 'Valider le protocole' }).click();
      await coord.getByTestId('status').filter({ hasText: 'Validé' }).waitFor();
      await coord.getByTestId('ack-report').getByText('0 confirmé, 2 en attente').waitFor();
    });
    await withDiagnostics(kine, 'library-v3-ack', async () => {
      await kine.reload();
      await kine.getByText('Confirmez que vous avez lu la version\u00a03 et que vous l\u2019appliquez.').waitFor();
      await kine.getByRole('button', { name: 'J\u2019ai lu et j\u2019applique' }).click();
      await kine.getByText('Vous avez confirmé la lecture de la version\u00a03.').waitFor();
    });
    await withDiagnostics(coord, 'library-v3-report', async () => {
      await coord.reload();
      await coord.getByTestId('ack-report').getByText('1 confirmé, 1 en attente').waitFor();
    });
  });

  test('a Val de Cher user cannot open a protocol of Loire Nord that is not shared', { timeout: 120_000 }, async () => {
    const page = await as(outsider, { width: 390, height: 844 });
    await withDiagnostics(page, 'library-outsider', async () => {
      assert.ok(protocolURL, 'the first test wrote a protocol');
      await page.goto(protocolURL);
      await page.getByText('Ce protocole est introuvable.').waitFor();
      const id = protocolURL.split('/').pop();
      for (const url of [`/api/v1/protocols/${id}`, `/api/v1/protocols/${id}/versions`, `/api/v1/protocols/${id}/versions/1`]) {
        const res = await page.request.get(url);
        assert.equal(res.status(), 404, `${url} answered ${res.status()}`);
      }
      // The shared one shows, read-only, as shared by Loire Nord.
      const { items } = await (await page.request.get('/api/v1/protocols')).json();
      const cyst = items.find((p) => p.title.startsWith('Cystite'));
      assert.ok(cyst && cyst.shared, 'the shared protocol is listed');
      await page.goto(`/protocoles/${cyst.id}`);
      await page.getByText('partagé par CPTS Loire Nord · Lecture seule').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Modifier' }).count(), 0);
    });
  });
});

describe('prevention materials in a browser', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll());
  });
  after(() => stopAll(browser, server));

  test('a member adds a link and browses by theme and campaign', { timeout: 180_000 }, async () => {
    const page = await as(author, { width: 390, height: 844 });
    await withDiagnostics(page, 'materials', async () => {
      await page.goto('/');
      // Phone width: the sidebar is a drawer.
      await page.getByRole('button', { name: /menu/i }).first().click();
      const ln = page.locator('#barre-laterale section', { hasText: 'CPTS Loire Nord' });
      await ln.getByRole('link', { name: 'Prévention' }).click();
      await page.getByRole('heading', { name: 'Prévention', level: 1 }).waitFor();
      await page.getByText('Campagnes en cours et à venir').waitFor();
      await page.getByRole('button', { name: 'Ajouter un support' }).click();
      await page.getByLabel('Titre').fill('Manger mieux au quotidien');
      await page.getByRole('textbox', { name: 'Lien' }).fill('https://prevention.example.org/nutrition');
      await page.getByLabel('Thème', { exact: true }).first().selectOption('nutrition');
      await page.getByRole('button', { name: 'Ajouter', exact: true }).click();
      await page.getByText('Support ajouté.').waitFor();
      const list = page.getByTestId('materials');
      await list.getByText('Manger mieux au quotidien').waitFor();
      await page.getByLabel('Thème', { exact: true }).selectOption('tabac');
      await list.getByText('Arrêter de fumer : les aides près de chez vous').waitFor();
      await list.getByText('Manger mieux au quotidien').waitFor({ state: 'detached' });
      await page.getByLabel('Thème', { exact: true }).selectOption('nutrition');
      await list.getByText('Manger mieux au quotidien').waitFor();
      await page.getByLabel('Thème', { exact: true }).selectOption('');
      await page.getByLabel('Campagne', { exact: true }).selectOption('vaccination_grippe');
      await list.getByText('Dépliant : se faire vacciner contre la grippe').waitFor();
      // The unfiltered list shows that material too: wait for the filtered answer.
      await list.getByText('Manger mieux au quotidien').waitFor({ state: 'detached' });
      assert.equal(await list.locator('li').count(), 1);
      // Its long campaign badge ("Campagne de vaccination contre la grippe
      // saisonnière") wraps in the card: the page does not scroll sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the materials page is ${overflow}px wider than the phone`);
    });
  });

  test('a member uploads a file with a progress bar, adds it and previews it', { timeout: 180_000 }, async () => {
    const page = await as(author);
    await withDiagnostics(page, 'material-upload', async () => {
      await openFileMaterialForm(page, 'Affiche : le dépistage en pharmacie');

      // Slow the upload down so that its progress shows.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 300 * 1024 });
      await page.locator('form input[type="file"]').setInputFiles({ name: 'affiche-depistage.pdf', mimeType: 'application/pdf', buffer: posterPDF });
      const bar = page.getByRole('progressbar', { name: 'Envoi de affiche-depistage.pdf' });
      await bar.waitFor({ state: 'visible' });
      await waitFor(async () => Number(await bar.getAttribute('value').catch(() => '0')) > 0, { what: 'the progress bar to move' });
      await page.getByRole('button', { name: 'Retirer affiche-depistage.pdf' }).waitFor({ timeout: 30_000 });
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

      await page.getByLabel('Thème', { exact: true }).first().selectOption('depistage_cancers');
      await page.getByRole('button', { name: 'Ajouter', exact: true }).click();
      await page.getByText('Support ajouté.').waitFor();

      // In the list, its PDF previews in the page (drawn by pdf.js).
      const card = page.getByTestId('materials').locator('li', { hasText: 'Affiche : le dépistage en pharmacie' });
      await card.getByRole('button', { name: 'Aperçu' }).click();
      const canvas = card.locator('figure canvas').first();
      await canvas.waitFor();
      await canvasDrawn(canvas, 'pdf.js to draw the poster');

      // The stored file is the one sent, and another CPTS does not get it.
      const { items } = await (await page.request.get('/api/v1/materials')).json();
      const m = items.find((x) => x.title === 'Affiche : le dépistage en pharmacie');
      assert.equal(m?.file?.name, 'affiche-depistage.pdf');
      const outsiderPage = await as(outsider);
      for (const url of [m.file.url, `/api/v1/materials/${m.id}`]) {
        const res = await outsiderPage.request.get(url);
        assert.equal(res.status(), 404, `${url} for Val de Cher`);
      }
      await outsiderPage.context().close();
    });
  });

  test('a picture dropped on the zone uploads and shows as a thumbnail', { timeout: 120_000 }, async () => {
    const page = await as(author);
    await withDiagnostics(page, 'material-drop', async () => {
      await openFileMaterialForm(page, 'Photo de l’atelier équilibre');
      // Drag and drop: a drop event carrying the file, on the zone.
      const zone = page.locator('form .upload.zone');
      const transfer = await page.evaluateHandle((b64) => {
        const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'atelier.png', { type: 'image/png' }));
        return dt;
      }, tinyPNG.toString('base64'));
      await zone.dispatchEvent('dragover', { dataTransfer: transfer });
      await zone.dispatchEvent('drop', { dataTransfer: transfer });
      await page.getByRole('button', { name: 'Retirer atelier.png' }).waitFor();
      await page.getByLabel('Thème', { exact: true }).first().selectOption('chutes');
      await page.getByRole('button', { name: 'Ajouter', exact: true }).click();
      await page.getByText('Support ajouté.').waitFor();
      const card = page.getByTestId('materials').locator('li', { hasText: 'Photo de l’atelier équilibre' });
      const img = card.getByRole('button', { name: 'Agrandir l’image atelier.png' }).locator('img');
      await waitFor(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), { what: 'the thumbnail to load' });
      assert.match(await img.getAttribute('src'), /\?thumb=1$/);
    });
  });
});
