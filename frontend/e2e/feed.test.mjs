// Browser test of the feed against the real binary with the demo data: the
// Loire Nord coordinator publishes an event from the feed page; the nurse,
// whose feed page is open, sees it arrive live, answers the RSVP, downloads
// the .ics (its content checked) and comments; the coordinator sees her in
// the list by profession and exports it; the Val de Cher pharmacist can open
// the post neither by URL nor by API. Then the feed at phone width.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import {
  cptsNamed,
  login,
  newContext,
  startAll,
  stopAll,
  waitFor,
  withDiagnostics as diagnose,
} from './harness.mjs';

const coordinator = 'coordination@loire-nord.demo'; // Claire Morel
const nurse = 'infirmiere@loire-nord.demo'; // Sophie Garnier
const pharmacist = 'pharmacien@val-de-cher.demo'; // Julien Perrin, Val de Cher only

let server;
let browser;
let coordPage;
let nursePage;
let nurseCtx;
let loire;
let postId;
const run = Date.now().toString(36);
const title = `Soirée plaies chroniques ${run}`;

const context = (opts) => newContext(browser, server, opts);

/** A day `days` ahead as Europe/Paris "YYYY-MM-DD". */
function parisDay(days) {
  const d = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** Runs fn; on failure adds screenshots and the server's last output. */
const withDiagnostics = (name, pages, fn) => diagnose(server, 'feed', name, pages, fn);

describe('e-CPTS feed: an event, its RSVP and its calendar file', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll());
    coordPage = await (await context()).newPage();
    nurseCtx = await context();
    nursePage = await nurseCtx.newPage();
    await login(coordPage, coordinator);
    await login(nursePage, nurse);
    loire = await cptsNamed(coordPage, 'CPTS Loire Nord');
  });

  after(() => stopAll(browser, server));

  test('the coordinator publishes an event; the nurse sees it live, answers and downloads the .ics', { timeout: 150_000 }, async () => {
    await withDiagnostics('publish', { coord: coordPage, nurse: nursePage }, async () => {
      // The nurse's feed is open (the demo posts are there, pinned first).
      await nursePage.locator(`#barre-laterale a[data-feed="cpts:${loire.id}"]`).click();
      await nursePage.getByRole('heading', { level: 1, name: 'Fil — CPTS Loire Nord' }).waitFor();
      await nursePage.locator('article.post.pinned').first().waitFor();
      assert.equal(await nursePage.getByRole('heading', { name: 'Publier' }).count(), 0, 'a member has no composer');

      await coordPage.locator(`#barre-laterale a[data-feed="cpts:${loire.id}"]`).click();
      await coordPage.getByRole('heading', { name: 'Publier' }).waitFor();
      await coordPage.getByLabel('Événement').check();
      await coordPage.getByLabel('Titre').fill(title);
      await coordPage.getByLabel('Texte (Markdown)').fill('Atelier **pansements** et cicatrisation.');
      const day = parisDay(6);
      await coordPage.getByLabel('Début (heure de Paris)').fill(`${day}T19:30`);
      await coordPage.getByLabel('Fin (heure de Paris)').fill(`${day}T21:45`);
      await coordPage.getByLabel('Lieu').fill('Salle des fêtes, Riorges');
      await coordPage.getByLabel('Nombre de places (0 = illimité)').fill('12');
      // One attachment through the composer's picker: uploaded at once, attached on publishing.
      await coordPage.locator('form.composer input[type="file"]').setInputFiles({ name: 'programme.txt', mimeType: 'text/plain', buffer: Buffer.from('Programme de l\'atelier.\n') });
      await coordPage.locator('form.composer li', { hasText: 'programme.txt' }).getByRole('button', { name: 'Retirer programme.txt' }).waitFor();
      await coordPage.getByRole('button', { name: 'Publier', exact: true }).click();
      await coordPage.getByText('Publication en ligne.').waitFor();
      const card = coordPage.locator('article.post', { hasText: title });
      await card.waitFor();
      postId = await card.getAttribute('data-post-id');
      await card.getByRole('link', { name: 'programme.txt' }).first().waitFor();
      assert.match(postId, /^[0-9a-f]{24}-\d{10}$/);

      // Live on the nurse's open feed, without a reload.
      const live = nursePage.locator('article.post', { hasText: title });
      await live.waitFor();
      assert.match(await live.innerText(), /12 places restantes/);

      // Her answer.
      await live.getByRole('link', { name: title }).click();
      await nursePage.waitForURL(`**/publications/${postId}`);
      await nursePage.getByRole('button', { name: 'Oui', exact: true }).click();
      await waitFor(async () => (await nursePage.getByRole('button', { name: 'Oui', exact: true }).getAttribute('aria-pressed')) === 'true', {
        what: 'the answer to be recorded',
      });
      await nursePage.locator('[data-counts]', { hasText: '1 oui' }).waitFor();
      await nursePage.locator('[data-counts]', { hasText: '11 places restantes' }).waitFor();

      // The .ics, as the browser downloads it.
      const [download] = await Promise.all([
        nursePage.waitForEvent('download'),
        nursePage.getByRole('link', { name: 'Ajouter à mon agenda (.ics)' }).click(),
      ]);
      assert.match(download.suggestedFilename(), /\.ics$/);
      const ics = await readFile(await download.path(), 'utf8');
      const compact = day.replaceAll('-', '');
      for (const line of [
        'BEGIN:VCALENDAR',
        'BEGIN:VTIMEZONE',
        'TZID:Europe/Paris',
        'BEGIN:VEVENT',
        `UID:${postId}@e-cpts`,
        `DTSTART;TZID=Europe/Paris:${compact}T193000`,
        `DTEND;TZID=Europe/Paris:${compact}T214500`,
        `SUMMARY:${title}`,
        'LOCATION:Salle des fêtes\\, Riorges',
        'END:VCALENDAR',
      ]) {
        assert.ok(ics.includes(line), `the .ics has ${line}:\n${ics}`);
      }

      // A comment, with the chat's composer.
      const box = nursePage.getByRole('textbox', { name: /Commentaires/ });
      await box.fill(`J'apporte des échantillons ${run}`);
      await box.press('Enter');
      await nursePage.locator('article.message:not(.pending)', { hasText: `J'apporte des échantillons ${run}` }).waitFor();
    });
  });

  test("the coordinator sees the answers by profession, live, and exports them", { timeout: 90_000 }, async () => {
    await withDiagnostics('organiser', { coord: coordPage }, async () => {
      await coordPage.goto(`/publications/${postId}`);
      const org = coordPage.locator('section.organiser');
      await org.getByRole('heading', { name: 'Inscrits par profession' }).waitFor();
      await org.getByRole('heading', { name: /Infirmier/ }).waitFor();
      await org.getByText('Sophie Garnier').waitFor();
      await coordPage.locator('article.message', { hasText: `J'apporte des échantillons ${run}` }).waitFor();
      const [download] = await Promise.all([coordPage.waitForEvent('download'), org.getByRole('link', { name: 'Exporter en CSV' }).click()]);
      const csv = await readFile(await download.path(), 'utf8');
      assert.match(csv, /^\ufeffNom;Profession;Commune;RPPS;ADELI;Réponse;Répondu le/);
      assert.match(csv, /Sophie Garnier;Infirmier·ère;Riorges;\d+;;Oui;/);
    });
  });

  test('a Val de Cher user cannot open the post by URL or API', { timeout: 60_000 }, async () => {
    const page = await (await context()).newPage();
    await withDiagnostics('outsider', { vc: page }, async () => {
      await login(page, pharmacist);
      assert.equal(await page.locator(`#barre-laterale a[data-feed="cpts:${loire.id}"]`).count(), 0, 'no Loire Nord feed in the sidebar');
      for (const url of [`/api/v1/posts/${postId}`, `/api/v1/posts/${postId}/event.ics`, `/api/v1/posts?cpts_id=${loire.id}`]) {
        const res = await page.request.get(url);
        assert.equal(res.status(), 404, `${url} answered ${res.status()}`);
      }
      await page.goto(`/publications/${postId}`);
      await page.getByRole('heading', { level: 1, name: 'Page introuvable' }).waitFor();
      assert.equal(await page.getByText(title).count(), 0, 'the title leaks');
      await page.goto(`/fil/cpts/${loire.id}`);
      await page.getByRole('heading', { level: 1, name: 'Page introuvable' }).waitFor();
    });
  });

  test('the feed and the event page fit a phone', { timeout: 60_000 }, async () => {
    const page = await (await context({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true })).newPage();
    await withDiagnostics('phone', { phone: page }, async () => {
      await login(page, nurse);
      for (const url of [`/fil/cpts/${loire.id}`, `/publications/${postId}`]) {
        await page.goto(url);
        await page.locator('article.post').first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 1, `${url} scrolls sideways by ${overflow}px at phone width`);
      }
      await page.getByRole('button', { name: 'Oui', exact: true }).waitFor();
    });
  });
});
