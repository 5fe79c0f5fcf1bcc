// Browser tests of e-CPTS against the real binary with the demo data.
// The tests share one server and run in order: the invitation test reads
// the invitation the admin test sent.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  apiJSON,
  cptsNamed,
  invitationToken,
  login,
  newContext,
  rppsWithCheckDigit,
  startAll,
  stopAll,
  submitLogin,
  waitFor,
  withDiagnostics as diagnose,
} from './harness.mjs';

const coordinator = 'coordination@loire-nord.demo';
const pharmacist = 'pharmacien@val-de-cher.demo';
const nurse = 'infirmiere@loire-nord.demo';
const newMember = { email: 'nouvelle.ide@example.test', name: 'Nadia Nouvelle-Infirmière' };

let server;
let browser;
let coordCtx;
let coordPage;

const context = (opts) => newContext(browser, server, opts);

const sidebarOf = (page) => page.locator('#barre-laterale');

/** The coordinator's page, logged in once and shared by the tests. */
async function coordinatorPage() {
  if (!coordPage) {
    coordCtx = await context();
    coordPage = await coordCtx.newPage();
    await login(coordPage, coordinator);
  }
  return coordPage;
}

async function loireNordId(page) {
  return (await cptsNamed(page, 'CPTS Loire Nord')).id;
}

/** Runs fn; on failure adds a screenshot and the server's last output. */
const withDiagnostics = (page, name, fn) => diagnose(server, 'e2e', name, page, fn);

describe('e-CPTS in a browser', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll());
  });

  after(() => stopAll(browser, server));

  test('the coordinator logs in and sees CPTS, groups, channels and the directory', { timeout: 120_000 }, async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await withDiagnostics(page, 'login', async () => {
      // A wrong password shows the server's French error and stays put.
      await page.goto('/');
      await page.waitForURL('**/connexion**');
      await page.getByLabel('Adresse e-mail').fill(coordinator);
      await page.getByLabel('Mot de passe').fill('pas-le-bon-mot-de-passe');
      await page.getByRole('button', { name: 'Se connecter' }).click();
      // The message sits under a field when the server names one.
      const alert = page.locator('[role="alert"], .field-error').first();
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /\p{L}{3,}/u, 'the login error has a message');
      assert.match(new URL(page.url()).pathname, /^\/connexion/);

      await login(page, coordinator);
      const sidebar = sidebarOf(page);
      await sidebar.getByRole('heading', { name: /CPTS Loire Nord/ }).waitFor();
      // My role in the form I chose (the demo coordinator: « Coordinatrice »).
      await sidebar.getByText(/^Coordinat(rice|eur|eur·rice)$/).first().waitFor();
      await sidebar.locator('a[href^="/groupes/"]').first().waitFor();
      const bpco = sidebar.locator('a[href^="/groupes/"]', { hasText: 'Parcours BPCO inter-CPTS' });
      await bpco.waitFor();
      assert.ok(await bpco.getByText('inter-CPTS', { exact: true }).isVisible(), 'the group is marked inter-CPTS');
      await sidebar.locator('a[href^="/canaux/"]').first().waitFor();
      await sidebar.locator('a[href^="/canaux/"]', { hasText: 'général' }).first().waitFor();
      await sidebar.getByRole('link', { name: 'Administration' }).waitFor();

      // The directory lists members with their profession and commune.
      await sidebar.getByRole('link', { name: 'Annuaire' }).click();
      await page.waitForURL('**/annuaire');
      const rows = page.locator('table tbody tr');
      await rows.first().waitFor();
      const all = await rows.evaluateAll((trs) =>
        trs.map((tr) => ({
          name: tr.querySelector('.name')?.textContent?.trim() ?? '',
          profession: tr.querySelector('.profession')?.textContent?.trim() ?? '',
          commune: tr.querySelector('.commune')?.textContent?.trim() ?? '',
        })),
      );
      assert.ok(all.length >= 3, `the directory lists several members (got ${all.length})`);
      assert.ok(all.every((r) => r.name && r.profession), 'every member has a name and a profession');
      const withCommune = all.filter((r) => r.commune && r.commune !== '—');
      assert.ok(withCommune.length >= 1, 'members show their commune');
      assert.ok(all.some((r) => /Infirmi/.test(r.profession)), 'the nurse is listed with her profession');

      // Filtering by profession keeps only that profession.
      await page.getByLabel('Profession').selectOption('infirmier');
      await waitFor(
        async () => {
          const profs = await rows.evaluateAll((trs) =>
            trs.map((tr) => tr.querySelector('.profession')?.textContent?.trim() ?? ''),
          );
          return profs.length >= 1 && profs.length < all.length && profs.every((p) => /Infirmi/.test(p));
        },
        { what: 'the directory to show only nurses' },
      );
    });
    await ctx.close();
  });

  test('the coordinator invites, creates an inter-CPTS group and channels, renames and archives', { timeout: 180_000 }, async () => {
    const page = await coordinatorPage();
    await withDiagnostics(page, 'admin', async () => {
      const loireId = await loireNordId(page);
      const sidebar = sidebarOf(page);
      await page.goto('/');
      await sidebar.getByRole('link', { name: 'Administration' }).first().click();
      await page.waitForURL(`**/cpts/${loireId}/admin`);
      await page.getByRole('heading', { name: /Administration — CPTS Loire Nord/ }).waitFor();

      // Invitation.
      await page.getByRole('tab', { name: 'Invitations' }).click();
      await page.getByLabel('Adresse e-mail').fill(newMember.email);
      await page.getByLabel('Rôle').selectOption('membre');
      await page.getByRole('button', { name: 'Envoyer l’invitation' }).click();
      await page.getByText(`Invitation envoyée à ${newMember.email}`).waitFor();
      await page.locator('li', { hasText: newMember.email }).getByRole('button', { name: /Révoquer/ }).waitFor();

      // Inter-CPTS group.
      await page.getByRole('tab', { name: 'Groupes' }).click();
      await page.getByLabel('Nom du groupe').fill('Parcours test');
      await page.getByLabel('Description').fill('Groupe de test des parcours entre les deux CPTS.');
      await page.getByLabel(/CPTS Val de Cher/).check();
      await page.getByRole('button', { name: 'Créer le groupe' }).click();
      await page.getByText('Groupe « Parcours test » créé.').waitFor();
      const row = page.locator('li', { hasText: 'Parcours test' }).filter({ hasText: 'CPTS Val de Cher' });
      await row.getByText('inter-CPTS', { exact: true }).waitFor();
      const { groups } = await apiJSON(page, '/api/v1/groups');
      const created = groups.find((g) => g.name === 'Parcours test');
      assert.ok(created, 'the group exists on the server');
      assert.equal(created.inter_cpts, true, 'the group is inter-CPTS');
      assert.equal(created.cpts_ids.length, 2, 'the group has two CPTS');
      await sidebar.locator('a[href^="/groupes/"]', { hasText: 'Parcours test' }).waitFor();

      // Channels: public, private, announcement.
      await page.getByRole('tab', { name: 'Canaux' }).click();
      const createChannel = async (name, { privé = false, annonces = false } = {}) => {
        await page.getByLabel('Nom du canal').fill(name);
        await page.getByLabel('Sujet').fill(`Sujet de ${name}`);
        await page.getByRole('radio', { name: privé ? /^Privé/ : /^Public/ }).check();
        await page.getByRole('radio', { name: annonces ? /^Annonces/ : /^Standard/ }).check();
        await page.getByRole('button', { name: 'Créer le canal' }).click();
        await page.getByText(`Canal « ${name} » créé.`).waitFor();
      };
      await createChannel('e2e-public');
      await createChannel('e2e-prive', { privé: true });
      await createChannel('e2e-annonces', { annonces: true });

      const rows = page.locator('.channel-rows > li');
      const rowOf = (name) => rows.filter({ has: page.locator('.ch-name', { hasText: new RegExp(`^\\s*${name}\\s*$`) }) });
      await rowOf('e2e-public').getByText('Public', { exact: true }).waitFor();
      await rowOf('e2e-prive').getByText('Privé', { exact: true }).waitFor();
      await rowOf('e2e-annonces').getByText('Annonces', { exact: true }).waitFor();
      for (const name of ['e2e-public', 'e2e-prive', 'e2e-annonces']) {
        await sidebar.locator('a[href^="/canaux/"]', { hasText: name }).waitFor();
      }

      // Rename the private channel.
      await rowOf('e2e-prive').getByRole('button', { name: 'Renommer' }).click();
      const input = page.getByLabel('Nouveau nom');
      await input.fill('e2e-confidentiel');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByText('Canal renommé.').waitFor();
      await rowOf('e2e-confidentiel').waitFor();
      assert.equal(await rowOf('e2e-prive').count(), 0, 'the old name is gone from the list');
      await sidebar.locator('a[href^="/canaux/"]', { hasText: 'e2e-confidentiel' }).waitFor();

      // Archive the announcement channel: it leaves the sidebar.
      await rowOf('e2e-annonces').getByRole('button', { name: 'Archiver' }).click();
      await page.getByText('Canal archivé.').waitFor();
      await rowOf('e2e-annonces').getByText('Archivé', { exact: true }).waitFor();
      await rowOf('e2e-annonces').getByRole('button', { name: 'Désarchiver' }).waitFor();
      await sidebar.locator('a[href^="/canaux/"]', { hasText: 'e2e-annonces' }).waitFor({ state: 'detached' });

      // The server kept it all: after a reload the list and sidebar agree.
      await page.reload();
      await page.getByRole('tab', { name: 'Canaux' }).click();
      await rowOf('e2e-annonces').getByText('Archivé', { exact: true }).waitFor();
      await sidebar.locator('a[href^="/canaux/"]', { hasText: 'e2e-public' }).waitFor();
      assert.equal(await sidebar.locator('a[href^="/canaux/"]', { hasText: 'e2e-annonces' }).count(), 0);
      assert.equal(await sidebar.locator('a[href^="/canaux/"]', { hasText: 'e2e-prive' }).count(), 0);
    });
  });

  test('an invited nurse creates her account, waits for validation, then sees the CPTS', { timeout: 180_000 }, async () => {
    const coord = await coordinatorPage();
    const loireId = await loireNordId(coord);
    const token = await invitationToken(server.dataDir, newMember.email);

    const ctx = await context();
    const page = await ctx.newPage();
    await withDiagnostics(page, 'invitation', async () => {
      await page.goto(`/invitation/${token}`);
      await page.getByRole('heading', { name: 'Rejoindre la CPTS Loire Nord' }).waitFor();
      await page.getByText(newMember.email).waitFor();
      await page.getByText(/au moins 10 caractères, dont une lettre et un chiffre ou symbole/i).waitFor();

      await page.getByLabel('Nom complet').fill(newMember.name);
      await page.getByLabel('Profession').selectOption('infirmier');
      await page.getByLabel('RPPS', { exact: true }).check();
      await page.getByLabel('Numéro RPPS').fill(rppsWithCheckDigit('1000987654'));
      await page.getByLabel('Commune d’exercice').fill('Mer');

      // A confirmation that differs is caught before anything is sent.
      await page.getByLabel('Mot de passe', { exact: true }).fill('Parcours-2026');
      await page.getByLabel('Confirmation du mot de passe').fill('Parcours-2027');
      await page.getByRole('button', { name: 'Créer mon compte et rejoindre' }).click();
      await page.getByText('Les deux mots de passe ne correspondent pas.').waitFor();

      await page.getByLabel('Confirmation du mot de passe').fill('Parcours-2026');
      await page.getByRole('button', { name: 'Créer mon compte et rejoindre' }).click();
      await page.getByText('Votre adhésion est en attente de validation par la coordination').waitFor();

      // Pending: the app says so and shows nothing of the CPTS.
      await page.getByRole('link', { name: 'Aller à l’accueil' }).click();
      await page.waitForURL((u) => u.pathname === '/');
      const sidebar = sidebarOf(page);
      await sidebar.getByText('Adhésion en attente de validation').waitFor();
      await page.getByText(/en attente de validation par la coordination/).first().waitFor();
      assert.equal(await sidebar.locator('a[href^="/canaux/"]').count(), 0, 'a pending member sees no channel');
      const pendingView = await apiJSON(page, '/api/v1/channels');
      assert.equal(
        pendingView.channels.filter((c) => c.cpts_id === loireId).length,
        0,
        'a pending member receives no channel of the CPTS',
      );
    });

    await withDiagnostics(coord, 'validate', async () => {
      await coord.goto(`/cpts/${loireId}/admin`);
      const row = coord.locator('tbody tr', { hasText: newMember.name });
      await row.getByText('En attente de validation').waitFor();
      await row.getByRole('button', { name: 'Valider' }).click();
      await coord.getByText(`L’adhésion de ${newMember.name} est validée.`).waitFor();
      await row.getByText('Actif', { exact: true }).waitFor();
    });

    await withDiagnostics(page, 'validated', async () => {
      await page.reload();
      const sidebar = sidebarOf(page);
      await sidebar.getByRole('heading', { name: /CPTS Loire Nord/ }).waitFor();
      await sidebar.locator('a[href^="/canaux/"]', { hasText: 'soins-non-programmés' }).first().waitFor();
      assert.equal(await sidebar.getByText('Adhésion en attente de validation').count(), 0);
      assert.equal(
        await sidebar.locator('a[href^="/canaux/"]', { hasText: /^\s*bureau\s*$/ }).count(),
        0,
        'the private channel stays hidden',
      );
    });
    await ctx.close();

    // The link works once.
    const again = await context();
    const page2 = await again.newPage();
    await withDiagnostics(page2, 'reuse', async () => {
      await page2.goto(`/invitation/${token}`);
      await page2.getByRole('heading', { name: /déjà utilisée/i }).waitFor();
      assert.equal(await page2.getByLabel('Nom complet').count(), 0, 'no form for a used invitation');
    });
    await again.close();
  });

  test('the Val de Cher pharmacist sees his CPTS and the inter-CPTS group, never Loire Nord', { timeout: 120_000 }, async () => {
    const coord = await coordinatorPage();
    const loireId = await loireNordId(coord);
    const coordChannels = [
      ...(await apiJSON(coord, '/api/v1/channels')).channels,
      ...(await apiJSON(coord, '/api/v1/channels?archived=1')).channels,
    ];
    const loireIds = [...new Set(coordChannels.filter((c) => c.cpts_id === loireId).map((c) => c.id))];
    assert.ok(loireIds.length >= 3, `the coordinator sees Loire Nord channels (got ${loireIds.length})`);
    const generalLoire = coordChannels.find((c) => c.cpts_id === loireId && c.name === 'général');
    assert.ok(generalLoire, 'Loire Nord has a "général" channel');

    const ctx = await context();
    const page = await ctx.newPage();
    await withDiagnostics(page, 'isolation', async () => {
      await login(page, pharmacist);
      const sidebar = sidebarOf(page);
      await sidebar.getByRole('heading', { name: /CPTS Val de Cher/ }).waitFor();
      const bpco = sidebar.locator('a[href^="/groupes/"]', { hasText: 'Parcours BPCO inter-CPTS' });
      await bpco.waitFor();
      await bpco.getByText('inter-CPTS', { exact: true }).waitFor();
      await sidebar.locator('a[href^="/canaux/"]', { hasText: 'parcours-bpco' }).first().waitFor();
      await sidebar.locator('a[href^="/canaux/"]', { hasText: 'officines' }).first().waitFor();

      // Nothing of Loire Nord in the UI.
      assert.equal(await sidebar.getByRole('heading', { name: /CPTS Loire Nord/ }).count(), 0);
      const text = (await sidebar.textContent()) ?? '';
      assert.ok(!text.includes('soins-non-programmés'), 'no Loire Nord channel name in the sidebar');
      assert.ok(!/\bbureau\b/.test(text), 'no Loire Nord private channel in the sidebar');
      for (const id of loireIds) {
        assert.equal(await page.locator(`a[href="/canaux/${id}"]`).count(), 0, `no link to Loire Nord channel ${id}`);
      }

      // Nor in the API.
      const mine = [
        ...(await apiJSON(page, '/api/v1/channels')).channels,
        ...(await apiJSON(page, '/api/v1/channels?archived=1')).channels,
      ];
      assert.ok(mine.length >= 2, 'the pharmacist has channels');
      for (const c of mine) {
        assert.ok(!loireIds.includes(c.id), `GET /api/v1/channels leaks Loire Nord channel ${c.id}`);
        assert.notEqual(c.cpts_id, loireId);
      }
      for (const id of loireIds) {
        const res = await page.request.get(`/api/v1/channels/${id}`);
        assert.equal(res.status(), 404, `GET /api/v1/channels/${id} must answer 404`);
      }

      // A deep link to a Loire Nord channel shows a not-found page.
      await page.goto(`/canaux/${generalLoire.id}`);
      await page.getByRole('heading', { name: 'Page introuvable' }).waitFor();
    });
    await ctx.close();
  });

  test('after the login page, only pages of the app itself: ?suite= never leads to another site', { timeout: 120_000 }, async () => {
    // Browsers read "/\host" and "/<TAB>/host" as "//host", another site.
    const payloads = ['/connexion?suite=/%5Cevil.invalid/phish', '/connexion?suite=%2F%09%2Fevil.invalid%2Fx'];
    const left = []; // every request the browser made to another origin
    const watched = async (opts) => {
      const ctx = await context(opts);
      await ctx.route(
        (url) => url.origin !== server.baseURL,
        (route) => {
          left.push(route.request().url());
          return route.abort();
        },
      );
      return ctx;
    };
    /** Waits until the app shows a page past the login page, or the browser tried to leave. */
    const landed = async (page, what) => {
      await waitFor(
        async () =>
          left.length > 0 ||
          (!new URL(page.url()).pathname.startsWith('/connexion') && (await sidebarOf(page).count()) > 0),
        { what: `${what}: the app past the login page` },
      );
      assert.deepEqual(left, [], `${what}: the browser went to another site`);
      const url = new URL(page.url());
      assert.equal(url.origin, server.baseURL, `${what}: same origin`);
      return url;
    };

    const ctx = await watched();
    for (const [i, payload] of payloads.entries()) {
      // Logged out: the login form, then home.
      const fresh = i === 0 ? ctx : await watched();
      const page = await fresh.newPage();
      await withDiagnostics(page, 'suite-logged-out', async () => {
        await page.goto(payload);
        await submitLogin(page, 'kine@loire-nord.demo');
        const url = await landed(page, `logged out, ${payload}`);
        assert.equal(url.pathname, '/', `logged out, ${payload}: home`);
      });
      if (fresh !== ctx) await fresh.close();
    }
    // Logged in: at once.
    const page = await ctx.newPage();
    for (const payload of payloads) {
      await withDiagnostics(page, 'suite-logged-in', async () => {
        await page.goto(payload);
        const url = await landed(page, `logged in, ${payload}`);
        assert.equal(url.pathname, '/', `logged in, ${payload}: home`);
      });
    }
    // A page of the app is still where ?suite= leads.
    await withDiagnostics(page, 'suite-in-app', async () => {
      await page.goto('/connexion?suite=%2Fannuaire');
      assert.equal((await landed(page, 'logged in, /annuaire')).pathname, '/annuaire');
    });
    await ctx.close();
    const out = await watched();
    const page2 = await out.newPage();
    await withDiagnostics(page2, 'suite-in-app-logged-out', async () => {
      await page2.goto('/connexion?suite=/annuaire');
      await submitLogin(page2, 'kine@loire-nord.demo');
      assert.equal((await landed(page2, 'logged out, /annuaire')).pathname, '/annuaire');
    });
    await out.close();
  });

  test('on a phone the sidebar is a drawer that leads to a channel', { timeout: 120_000 }, async () => {
    const ctx = await context({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    await withDiagnostics(page, 'phone', async () => {
      await login(page, nurse);
      const sidebar = sidebarOf(page);
      const menu = page.locator('button[aria-controls="barre-laterale"]');
      await menu.waitFor();
      assert.equal(await sidebar.isVisible(), false, 'the drawer starts closed');

      await menu.click();
      await waitFor(() => sidebar.isVisible(), { what: 'the drawer to open' });
      assert.equal(await page.getByRole('button', { name: 'Fermer le menu' }).first().getAttribute('aria-expanded'), 'true');

      const link = sidebar.locator('a[href^="/canaux/"]').first();
      await link.waitFor();
      const id = ((await link.getAttribute('href')) ?? '').replace('/canaux/', '');
      const { channel } = await apiJSON(page, `/api/v1/channels/${id}`);
      await link.click();
      await page.waitForURL(`**/canaux/${id}`);
      await page.getByRole('heading', { level: 1, name: channel.name }).waitFor();
      await waitFor(async () => !(await sidebar.isVisible()), { what: 'the drawer to close after navigation' });

      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at 375px (overflow ${overflow}px)`);
    });
    await ctx.close();
  });
});
