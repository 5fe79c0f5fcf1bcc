// Browser tests of issue 13's pages: the platform administrator's pages
// (home, CPTS overview, creation, edition, first coordinator), the members
// waiting for validation (sidebar badge, home card), the home page's
// "À traiter", the form of one's titles, at 1366×800 and 390×844, with
// screenshots of each page for a person to look at.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  apiJSON,
  cptsNamed,
  csrf,
  frontendDir,
  invitationToken,
  login,
  newContext,
  phoneOptions,
  startAll,
  stopAll,
  waitFor,
  withDiagnostics as diagnose,
} from './harness.mjs';

const admin = 'admin@ecpts.demo';
const coordinator = 'coordination@loire-nord.demo';
const nurse = 'infirmiere@loire-nord.demo';
// make screenshot (ECPTS_SCREENSHOT=1) keeps them in docs/screenshots/
// (not tracked); other runs write them under the system's temporary directory.
const shotsDir = process.env.ECPTS_SCREENSHOT
  ? path.resolve(frontendDir, '..', 'docs', 'screenshots')
  : path.join(tmpdir(), 'ecpts-e2e-screenshots');

const laptop = { width: 1366, height: 800 };
const phone = { width: 390, height: 844 };

let server;
let browser;

/** A context of this size in Paris time (phone: a touch screen too). */
const context = (viewport = laptop) =>
  newContext(browser, server, { viewport, timezoneId: 'Europe/Paris', ...(viewport === phone ? phoneOptions : {}) });

const sidebarOf = (page) => page.locator('#barre-laterale');

// Frames each page's sockets received: a page that got one has its socket
// up, so a frame sent from then on reaches it.
const framesOf = new WeakMap();
const socketUp = (page) => waitFor(() => (framesOf.get(page) ?? 0) > 0, { what: 'the page\'s socket to answer' });

async function loggedIn(email, viewport = laptop) {
  const ctx = await context(viewport);
  const page = await ctx.newPage();
  page.on('websocket', (ws) => ws.on('framereceived', () => framesOf.set(page, (framesOf.get(page) ?? 0) + 1)));
  await login(page, email);
  return { ctx, page };
}

/** Writes docs/screenshots/<name>.png (the page as the viewport shows it). */
async function shot(page, name) {
  await mkdir(shotsDir, { recursive: true });
  // Fonts and late layout settle before the picture.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`) });
}

/** Runs fn; on failure adds a screenshot and the server's last output. */
const withDiagnostics = (page, name, fn) => diagnose(server, 'e2e-admin', name, page, fn);

/** The text of the page's <main>, spaces normalised (U+00A0 and U+202F too). */
async function mainText(page) {
  return ((await page.locator('main').textContent()) ?? '').replace(/\s+/g, ' ');
}

/** Opens the phone's menu when the sidebar is a drawer. */
async function openMenu(page) {
  const button = page.locator('button[aria-controls="barre-laterale"]');
  if (await button.isVisible()) await button.click();
}

/** Accepts the invitation sent to email as a new account, in its own context. */
async function acceptInvitation(email, name, profession = 'infirmier') {
  const token = await invitationToken(server.dataDir, email);
  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(`/invitation/${token}`);
  await page.getByLabel('Nom complet').fill(name);
  await page.getByLabel('Profession').selectOption(profession);
  await page.getByLabel('Commune d’exercice').fill('Roanne');
  await page.getByLabel('Mot de passe', { exact: true }).fill('Parcours-2026');
  await page.getByLabel('Confirmation du mot de passe').fill('Parcours-2026');
  await page.getByRole('button', { name: 'Créer mon compte et rejoindre' }).click();
  await page.getByText('Votre adhésion est en attente de validation par la coordination').waitFor();
  return { ctx, page };
}

describe('issue 13 pages in a browser', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll());
  });

  after(() => stopAll(browser, server));

  test('the platform admin has pages that fit: overview with counts, create and edit a CPTS, name its coordination', { timeout: 240_000 }, async () => {
    const { ctx, page } = await loggedIn(admin);
    await withDiagnostics(page, 'platform', async () => {
      // Home: no "Bonjour Administration", the CPTS of the platform with counts.
      await page.getByRole('heading', { level: 1, name: 'Administration de la plateforme' }).waitFor();
      assert.doesNotMatch(await mainText(page), /Bonjour Administration/);
      const loireCard = page.locator('article[data-cpts="CPTS Loire Nord"]');
      await loireCard.waitFor();
      assert.match((await loireCard.textContent()) ?? '', /\d+ membres/, 'the home card counts the members');

      // The sidebar says the conversations are the members' only, never "no channel".
      const sidebar = sidebarOf(page);
      await sidebar.getByText('Conversations réservées aux membres.').first().waitFor();
      assert.equal(await sidebar.getByText('Aucun canal pour l’instant.').count(), 0, 'no misleading "no channel" for the admin');
      await shot(page, 'admin-home-1366');

      // The overview: every CPTS, its counts (not its content).
      await sidebar.getByRole('link', { name: 'Plateforme' }).click();
      await page.waitForURL('**/admin');
      const row = page.locator('tr[data-cpts="CPTS Loire Nord"]');
      await row.waitFor();
      const counts = await row.evaluate((tr) =>
        Object.fromEntries([...tr.querySelectorAll('[data-count]')].map((td) => [td.dataset.count, Number(td.textContent.trim())])),
      );
      assert.ok(counts.members >= 5, `Loire Nord counts its members (got ${JSON.stringify(counts)})`);
      assert.ok(counts.channels >= 3, `Loire Nord counts its channels (got ${JSON.stringify(counts)})`);
      assert.ok(counts.groups >= 1, `Loire Nord counts its groups (got ${JSON.stringify(counts)})`);
      await page.locator('tr[data-cpts="CPTS Val de Cher"]').waitFor();
      await shot(page, 'admin-platform-1366');

      // A bad department is refused under its field, in French.
      await page.getByLabel('Nom de la CPTS').fill('CPTS Sologne Sud');
      await page.getByLabel('Département').fill('999');
      await page.getByRole('button', { name: 'Créer la CPTS' }).click();
      await page.locator('#platform-create-department-error').waitFor();

      // Create a CPTS: its administration opens on the CPTS tab.
      await page.getByLabel('Département').fill('41');
      await page.getByLabel('Communes du territoire').fill('Salbris\nNeung-sur-Beuvron, Nouan-le-Fuzelier');
      await page.getByRole('checkbox', { name: /parcours/i }).first().check();
      await page.getByRole('button', { name: 'Créer la CPTS' }).click();
      await page.waitForURL(/\/cpts\/[^/]+\/admin\?onglet=cpts$/);
      await page.getByRole('heading', { level: 1, name: /CPTS Sologne Sud/ }).waitFor();
      assert.equal(await page.getByRole('tab', { name: 'CPTS' }).getAttribute('aria-selected'), 'true');

      // Name its first coordinator: an invitation with the coordinateur role.
      await page.getByLabel('Adresse e-mail de la coordination').fill('coordination@sologne-sud.example');
      await page.getByRole('button', { name: 'Envoyer l’invitation' }).click();
      await page.getByText('Invitation de coordination envoyée à coordination@sologne-sud.example.').waitFor();
      await invitationToken(server.dataDir, 'coordination@sologne-sud.example');
      await page.getByRole('tab', { name: 'Invitations' }).click();
      const inv = page.locator('li', { hasText: 'coordination@sologne-sud.example' });
      await inv.getByText('Coordinateur·rice').waitFor();

      // Edit it: the new name shows at once.
      await page.getByRole('tab', { name: 'CPTS' }).click();
      await page.getByLabel('Nom de la CPTS').fill('CPTS Sologne Sud-Est');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByText('Informations enregistrées.').waitFor();
      await page.getByRole('heading', { level: 1, name: /CPTS Sologne Sud-Est/ }).waitFor();
      await page.evaluate(() => window.scrollTo(0, 0));
      await shot(page, 'admin-cpts-1366');

      // Another CPTS's channels: said plainly, not "Aucun canal".
      const loire = await cptsNamed(page, 'CPTS Loire Nord');
      await page.goto(`/cpts/${loire.id}/admin`);
      await page.getByRole('tab', { name: 'Canaux' }).click();
      await page.getByText('Les conversations de cette CPTS ne sont visibles que par ses membres.').first().waitFor();
      assert.equal(await page.getByText('Aucun canal pour l’instant.').count(), 0);

      // The directory and the new-conversation dialog say why nobody is listed.
      await sidebar.getByRole('link', { name: 'Annuaire' }).click();
      await page.waitForURL('**/annuaire');
      await page.getByText(/Votre compte administre la plateforme sans être membre d’une CPTS/).waitFor();
      assert.equal(await page.getByText('0 professionnel').count(), 0);
      await sidebar.getByRole('button', { name: 'Nouvelle conversation' }).click();
      await page.getByRole('dialog').getByText(/Personne ne partage encore d’espace avec vous/).waitFor();
      await page.getByRole('dialog').getByRole('button', { name: 'Annuler' }).click();
    });
    await ctx.close();

    // The phone: the same pages fit at 390×844.
    const small = await loggedIn(admin, phone);
    await withDiagnostics(small.page, 'platform-phone', async () => {
      await small.page.getByRole('heading', { level: 1, name: 'Administration de la plateforme' }).waitFor();
      await shot(small.page, 'admin-home-390');
      await small.page.goto('/admin');
      await small.page.locator('tr[data-cpts="CPTS Loire Nord"]').waitFor();
      const overflow = await small.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the overview fits the phone's width (overflow ${overflow}px)`);
      await shot(small.page, 'admin-platform-390');
      await openMenu(small.page);
      await sidebarOf(small.page).getByText('Conversations réservées aux membres.').first().waitFor();
      await shot(small.page, 'admin-menu-390');
    });
    await small.ctx.close();
  });

  test('a coordinator sees who waits for validation, validates in one click and refuses after a confirmation', { timeout: 240_000 }, async () => {
    const coord = await loggedIn(coordinator);
    const page = coord.page;
    const loire = await cptsNamed(page, 'CPTS Loire Nord');
    // The demo may already have someone waiting: count from there.
    const base = (await apiJSON(page, '/api/v1/home')).pending.filter((p) => p.cpts_id === loire.id).length;
    const expectBadge = async (n) => {
      if (n === 0) await badge.waitFor({ state: 'detached' });
      else await waitFor(async () => (await badge.getAttribute('data-waiting')) === String(n), { what: `a badge with ${n} waiting members` });
    };
    const badge = sidebarOf(page).locator('section', { hasText: 'CPTS Loire Nord' }).locator('.waiting-badge');

    // The home page stays open: what follows must reach it live (the
    // coordinator's access_changed frame), with no reload.
    assert.equal(new URL(page.url()).pathname, '/');
    await page.getByRole('heading', { name: /^Bonjour/ }).waitFor();
    await expectBadge(base);
    await socketUp(page);

    // Two invitations; both are accepted (the harness reads the .eml).
    for (const email of ['ide.attente@example.test', 'kine.attente@example.test']) {
      const res = await page.request.post(`/api/v1/cpts/${loire.id}/invitations`, {
        data: { email, role: 'membre' },
        headers: { 'X-CSRF-Token': await csrf(page) },
      });
      assert.equal(res.status(), 201, `invitation of ${email}: ${res.status()}`);
    }
    const first = await acceptInvitation('ide.attente@example.test', 'Inès Attente');
    const second = await acceptInvitation('kine.attente@example.test', 'Karl Patience', 'masseur_kinesitherapeute');

    await withDiagnostics(page, 'waiting', async () => {
      // Live, no reload: the sidebar shows the badge on the CPTS.
      await expectBadge(base + 2);
      assert.match((await badge.getAttribute('title')) ?? '', new RegExp(`${base + 2} adhésions à valider`));

      const card = page.locator('#en-attente');
      await card.getByRole('heading', { name: 'Adhésions à valider' }).waitFor();
      await card.locator('li', { hasText: 'Inès Attente' }).waitFor();
      await card.locator('li', { hasText: 'Karl Patience' }).waitFor();
      await shot(page, 'waiting-home-1366');

      // Validate in one click.
      await card.getByRole('button', { name: 'Valider l’adhésion de Inès Attente' }).click();
      await card.getByText('L’adhésion de Inès Attente est validée.').waitFor();
      await expectBadge(base + 1);

      // Refuse: a confirmation names the person and the CPTS.
      await card.getByRole('button', { name: 'Refuser l’adhésion de Karl Patience' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(/Refuser l’adhésion de Karl Patience à la CPTS Loire Nord/).waitFor();
      await dialog.getByRole('button', { name: 'Refuser' }).click();
      await card.getByText('L’adhésion de Karl Patience est refusée.').waitFor();
      await expectBadge(base);
    });

    // The validated member now sees the CPTS; the refused one does not.
    await withDiagnostics(first.page, 'validated', async () => {
      await first.page.goto('/');
      await sidebarOf(first.page).locator('a[href^="/canaux/"]').first().waitFor();
    });
    await withDiagnostics(second.page, 'refused', async () => {
      await second.page.goto('/');
      const me = await apiJSON(second.page, '/api/v1/me');
      assert.equal((me.memberships ?? []).length, 0, 'the refused membership is gone');
    });

    // The phone: the card and the badge at 390×844.
    const small = await loggedIn(coordinator, phone);
    await withDiagnostics(small.page, 'waiting-phone', async () => {
      const res = await small.page.request.post(`/api/v1/cpts/${loire.id}/invitations`, {
        data: { email: 'sf.attente@example.test', role: 'membre' },
        headers: { 'X-CSRF-Token': await csrf(small.page) },
      });
      assert.equal(res.status(), 201);
      assert.equal(new URL(small.page.url()).pathname, '/');
      await socketUp(small.page);
      const third = await acceptInvitation('sf.attente@example.test', 'Sarah Attente', 'sage_femme');
      // Live, no reload: the home card, and the menu button's badge counts her.
      await small.page.locator('#en-attente li', { hasText: 'Sarah Attente' }).waitFor();
      const menuBadge = small.page.locator('button.menu-button .menu-badge');
      await waitFor(async () => (await menuBadge.getAttribute('data-waiting')) === String(base + 1), { what: `the menu badge to count ${base + 1} waiting` });
      assert.match((await menuBadge.textContent()) ?? '', base + 1 > 1 ? new RegExp(`${base + 1} adhésions à valider`) : /1 adhésion à valider/);
      await shot(small.page, 'waiting-home-390');
      await openMenu(small.page);
      await sidebarOf(small.page).locator(`.waiting-badge[data-waiting="${base + 1}"]`).waitFor();
      await shot(small.page, 'waiting-menu-390');
      await third.ctx.close();
    });
    for (const c of [coord.ctx, first.ctx, second.ctx, small.ctx]) await c.close();
  });
  test('the home page lists what needs me: mentions, threads with new replies, each a link to its place', { timeout: 180_000 }, async () => {
    // The nurse mentions the coordinator in général.
    const n = await loggedIn(nurse);
    const { channels } = await apiJSON(n.page, '/api/v1/channels');
    const general = channels.find((c) => c.name === 'général' && c.member);
    assert.ok(general, 'the nurse is in général');
    const res = await n.page.request.post(`/api/v1/channels/${general.id}/messages`, {
      data: { body: '@Claire.Morel pouvez-vous relire le planning des gardes de janvier ?', client_id: randomUUID() },
      headers: { 'X-CSRF-Token': await csrf(n.page) },
    });
    assert.equal(res.status(), 201, `the nurse posts: ${res.status()}`);
    await n.ctx.close();

    // The phone first: opening the mention (last, on the laptop) reads it.
    for (const [viewport, size] of [
      [phone, '390'],
      [laptop, '1366'],
    ]) {
      const { ctx, page } = await loggedIn(coordinator, viewport);
      await withDiagnostics(page, `todo-${size}`, async () => {
        const todo = page.locator('section[aria-labelledby="home-todo"]');
        await todo.getByRole('heading', { name: 'À traiter' }).waitFor();
        await todo.getByRole('heading', { name: /mentions? non lues?/ }).waitFor();
        const item = todo.locator('.todo-mentions li', { hasText: 'relire le planning des gardes' });
        await item.waitFor();
        assert.match((await item.textContent()) ?? '', /Sophie Garnier/);
        // Followed threads with new replies (the demo's) are listed too.
        await todo.getByRole('heading', { name: 'Fils avec de nouvelles réponses' }).waitFor();
        const thread = todo.locator('.todo-threads li').first();
        const threadHref = await thread.locator('a.todo-link').getAttribute('href');
        assert.match(threadHref ?? '', /^\/(canaux|messages)\/[^/?]+\?fil=/, 'a thread links to its panel');
        await shot(page, `home-todo-${size}`);

        if (size !== '1366') return;
        // The mention leads to its channel.
        await item.getByRole('link', { name: 'dans #général' }).click();
        await page.waitForURL((u) => u.pathname === `/canaux/${general.id}`);
        await page.getByText('relire le planning des gardes').first().waitFor();
      });
      await ctx.close();
    }
  });
  test('each person chooses the form of their titles: "Infirmière", "Coordinatrice" next to their name', { timeout: 150_000 }, async () => {
    const n = await loggedIn(nurse);
    await withDiagnostics(n.page, 'title-form', async () => {
      await n.page.goto('/profil');
      await n.page.getByRole('radio', { name: /^Au féminin/ }).check();
      assert.match((await n.page.getByText(/^Au féminin/).first().textContent()) ?? '', /Infirmière/, 'the choice shows the feminine form');
      await n.page.getByRole('button', { name: 'Enregistrer' }).click();
      await n.page.getByText('Profil enregistré.').waitFor();
      const me = await apiJSON(n.page, '/api/v1/me');
      assert.equal(me.user.title_form, 'feminin');
      assert.equal(me.user.profession_label, 'Infirmière');
      await shot(n.page, 'profile-title-1366');
    });
    await n.ctx.close();

    const c = await loggedIn(coordinator, phone);
    await withDiagnostics(c.page, 'title-form-coord', async () => {
      await c.page.goto('/profil');
      await c.page.getByRole('radio', { name: /^Au féminin/ }).check();
      await c.page.getByRole('button', { name: 'Enregistrer' }).click();
      await c.page.getByText('Profil enregistré.').waitFor();
      // My role in the sidebar follows the form I chose.
      await openMenu(c.page);
      await sidebarOf(c.page).getByText('Coordinatrice', { exact: true }).first().waitFor();
      await shot(c.page, 'profile-title-390');
      // Named people carry their chosen form, here in the directory.
      await c.page.goto('/annuaire');
      const row = c.page.locator('tbody tr', { hasText: 'Sophie Garnier' });
      assert.equal((await row.locator('.profession').textContent())?.trim(), 'Infirmière');
    });
    await c.ctx.close();
  });
});
