// Scenario 5: the HQ dashboard. A real profile-store on a free loopback port holds the
// attribution dataset, on SQLite or, with KIOSK_HQ_BACKEND=postgres, on PostgreSQL (a database in
// ctest's fixture cluster) (seed_profile_store: docs/attribution.md's worked example, plus a late
// batch with a gap, a dead letter and a voucher conflict); an analyst logs in with a token from
// `profile-store new-token`, and every figure the page shows (table cells, funnel bar labels,
// trend points, kiosk health rows) is checked against the API's JSON for the same query. Sorting
// and a filter change redraw the table, a store filter shows the API's report for that store, a
// wrong token gets a clear error, and the CSV link downloads the API's CSV. The token never
// reaches the page's storage: HQ keeps it in an HttpOnly cookie, kept across a reload, gone at
// log out.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, test } from 'node:test';

import {
  ACTION_MS,
  AGENT_START_MS,
  AGENT_STOP_MS,
  checkPrerequisites,
  launchBrowser,
  onPage,
  runProgram,
  saveScreenshot,
  withTimeout,
} from './harness.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '../..');
const profileStorePath = process.env.KIOSK_PROFILE_STORE ?? path.join(repo, 'build/bin/profile-store');
const seederPath =
  process.env.KIOSK_SEED_PROFILE_STORE ?? path.join(repo, 'build/tests/browser/seed_profile_store');
const backend = process.env.KIOSK_HQ_BACKEND ?? 'sqlite';

const DESK = { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, isMobile: false, hasTouch: false };
// The browser's zone: the page sends its UTC offset (tz=+08:00) with every report query.
const ZONE = { timezoneId: 'Asia/Shanghai', ignoreHTTPSErrors: true };

const hq = { base: '', token: '', ca: '', dir: '', stop: async () => {} };
let browser;

// Starts profile-store on port 0 and reads its port from the banner ("sync URL: https://...").
async function startProfileStore(stateDir, config) {
  const child = spawn(profileStorePath, ['--state-dir', stateDir, '--port', '0', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderrText = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderrText += chunk;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer;
    const killer = new Promise((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, AGENT_STOP_MS);
    });
    await Promise.race([exited, killer]).finally(() => clearTimeout(timer));
    process.off('exit', killOnExit);
  };
  const lines = readline.createInterface({ input: child.stdout });
  const banner = (async () => {
    for await (const line of lines) {
      const m = line.match(/sync URL:\s+(https:\/\/127\.0\.0\.1:\d+)/);
      if (m) return m[1];
    }
    throw new Error('profile-store closed stdout before printing its URL');
  })();
  try {
    const base = await withTimeout(banner, AGENT_START_MS, 'profile-store banner');
    child.stdout.resume();
    return { base, stop };
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n--- profile-store stderr ---\n${stderrText}`);
  }
}

// GET on the HQ API from node (not the page): { status, type, body }.
function apiGet(target, token = hq.token) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const request = https.get(
        `${hq.base}${target}`,
        { ca: hq.ca, headers: token ? { Authorization: `Bearer ${token}` } : {} },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => {
            body += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode, type: response.headers['content-type'], body }));
        },
      );
      request.on('error', reject);
    }),
    ACTION_MS,
    `GET ${target}`,
  );
}

async function apiJson(target) {
  const response = await apiGet(target);
  assert.equal(response.status, 200, `${target}: ${response.body}`);
  return JSON.parse(response.body);
}

const cellText = (value) => (value === null || value === undefined ? '-' : String(value));
// The table shows rates as percentages with one decimal.
const columnText = (column, value) =>
  column.endsWith('_rate') && value !== null ? `${(value * 100).toFixed(1)}%` : cellText(value);

// The query the page sends for the window 2027-03-01 through 2027-03-02 in Shanghai.
function reportQuery(groupBy, model = 'last_touch', format = 'json') {
  return new URLSearchParams({ from: '2027-03-01', to: '2027-03-03', group_by: groupBy, model, tz: '+08:00', format }).toString();
}

async function logIn(page, token) {
  await page.goto(`${hq.base}/dashboard`);
  await page.locator('#token').fill(token);
  await page.locator('#login-form button[type=submit]').click();
}

// Applies the filters and waits until the page has drawn the answer to `query`.
async function apply(page, query) {
  await page.locator('#filters button[type=submit]').click();
  await page.locator(`#dashboard[data-query="${query}"]`).waitFor();
}

async function tableGroups(page) {
  return page.locator('#report tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.group));
}

// The API's rows as the page sorts them by a numeric column: stable, so ties keep the API's order.
function sortedByFigure(rows, column, descending) {
  return [...rows].sort((a, b) => (descending ? b[column] - a[column] : a[column] - b[column]));
}

// Every cell of the table (body, in the order of `rows`, and totals) against the API's report.
async function expectTableMatches(page, report, rows = report.rows) {
  const shown = await page.locator('#report tbody tr, #report tfoot tr').evaluateAll((rows) =>
    rows.map((row) => [...row.cells].map((cell) => [cell.dataset.column, cell.textContent])),
  );
  const expected = rows.map((row) => report.columns.map((column) => [column, columnText(column, row[column])]));
  expected.push(
    report.columns.map((column, i) => {
      const text = i === 0 ? 'total' : column === 'name' ? '' : columnText(column, report.totals[column]);
      return [column, text];
    }),
  );
  assert.deepEqual(shown, expected);
}

before(async () => {
  checkPrerequisites();
  for (const [file, what] of [[profileStorePath, 'profile-store'], [seederPath, 'seed_profile_store']]) {
    assert.ok(fs.existsSync(file), `${what} not found at ${file}: build it (cmake --build build)`);
  }
  hq.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-dashboard-'));
  const state = path.join(hq.dir, 'state');
  const storageToml = await runProgram(seederPath, [state, backend]);
  const tokenFile = path.join(hq.dir, 'token');
  const tokenLines = await runProgram(profileStorePath, ['new-token', '--name', 'test', '--token-file', tokenFile]);
  hq.token = fs.readFileSync(tokenFile, 'utf8').trim();
  const config = path.join(hq.dir, 'profile-store.toml');
  fs.writeFileSync(config, `${storageToml}\n${tokenLines}`);
  const server = await startProfileStore(state, config);
  hq.base = server.base;
  hq.stop = server.stop;
  // profile-store's own CA and server certificate, as it made them: the browser speaks TLS with
  // them (its context ignores only that it does not know the CA); Node checks the chain.
  hq.ca = fs.readFileSync(path.join(state, 'ca.pem'));
  browser = await launchBrowser({ ...DESK, ...ZONE });
});

after(async () => {
  await browser?.close();
  await hq.stop();
  if (hq.dir) fs.rmSync(hq.dir, { recursive: true, force: true });
});

test('the page is public, strict, and refuses a wrong token with a clear error', async () => {
  const page = await apiGet('/dashboard', '');
  assert.equal(page.status, 200);
  assert.match(page.type, /^text\/html/);
  await onPage(browser.context, 'dashboard-wrong-token', async (page) => {
    const response = await page.goto(`${hq.base}/dashboard`);
    assert.match(response.headers()['content-security-policy'], /script-src 'self'/);
    assert.equal(response.headers()['x-content-type-options'], 'nosniff');
    await logIn(page, 'hq_NOTATOKENHQKNOWS');
    await page.locator('#login-error').waitFor();
    assert.equal(
      await page.locator('#login-error').textContent(),
      'HQ refused the token: the bearer token is not valid (HTTP 401). Paste a valid HQ API token.',
    );
    assert.equal(await page.locator('#dashboard').isHidden(), true);
    assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0);
    assert.deepEqual(await browser.context.cookies(hq.base), [], 'a refused token is not kept');
    await saveScreenshot(page, 'dashboard-1-wrong-token');
  });
});

test('the figures shown are the API figures; sorting, filters and the CSV follow', { timeout: 90_000 }, async () => {
  await onPage(browser.context, 'dashboard', async (page) => {
    await logIn(page, hq.token);
    await page.locator('#dashboard').waitFor();
    await page.locator('#from').fill('2027-03-01');
    await page.locator('#through').fill('2027-03-02');
    await apply(page, reportQuery('channel'));

    // The table, by channel.
    const byChannel = await apiJson(`/v1/attribution?${reportQuery('channel')}`);
    assert.equal(byChannel.totals.scans, 12, 'the dataset has 12 scans in the window');
    assert.equal(await page.locator('#report tr[data-group=FLYER] td[data-column=scan_to_signup_rate]').textContent(), '50.0%');
    await expectTableMatches(page, byChannel);

    // The funnel: one bar label per channel and figure, where the channel has any.
    const labels = await page.locator('#funnel text.bar-label').evaluateAll((texts) =>
      texts.map((text) => [text.dataset.group, text.dataset.figure, text.textContent]),
    );
    const expectedLabels = byChannel.rows
      .filter((row) => row.scans > 0 || row.signups > 0 || row.redemptions > 0)
      .flatMap((row) => ['scans', 'signups', 'redemptions'].map((figure) => [row.channel, figure, String(row[figure])]));
    assert.deepEqual(labels, expectedLabels);
    assert.ok(labels.some(([group, figure, value]) => group === 'EL3' && figure === 'scans' && value === '3'));

    // The trend: every day's point of each figure (docs/attribution.md, by day at +08:00).
    const byDay = await apiJson(`/v1/attribution?${reportQuery('day')}`);
    const points = await page.locator('#trend circle.point').evaluateAll((circles) =>
      circles.map((circle) => [circle.dataset.figure, circle.dataset.day, Number(circle.dataset.value)]),
    );
    const expectedPoints = ['scans', 'signups', 'redemptions'].flatMap((figure) =>
      byDay.rows.map((row) => [figure, row.day, row[figure]]),
    );
    assert.deepEqual(points, expectedPoints);
    assert.deepEqual(
      byDay.rows.map((row) => [row.day, row.scans, row.signups, row.redemptions]),
      [['2027-03-01', 8, 2, 0], ['2027-03-02', 4, 2, 3]],
    );

    // Kiosk health: every kiosk's row from /v1/kiosks/health.
    const health = await apiJson('/v1/kiosks/health');
    const kioskB = health.kiosks.find((kiosk) => kiosk.kiosk_id === 'kiosk-b');
    assert.deepEqual(kioskB.gaps.map((gap) => [gap.from_seq, gap.to_seq]), [[12, 14]]);
    assert.equal(kioskB.dead_letters, 1);
    assert.equal(kioskB.voucher_conflicts, 1);
    const healthRows = await page.locator('#health tbody tr').evaluateAll((rows) =>
      rows.map((row) => [row.dataset.kiosk, ...[...row.cells].map((cell) => cell.textContent)]),
    );
    assert.deepEqual(
      // the ages in "last sync", "last contact" and the certificates' columns move on: checked below
      healthRows.map((row) => row.filter((_, i) => ![2, 3, 8, 9].includes(i))),
      health.kiosks.map((kiosk) => [
        kiosk.kiosk_id,
        kiosk.revoked
          ? `${kiosk.kiosk_id} (revoked ${kiosk.revoked_at}; honours vouchers HQ received before ${kiosk.honours_vouchers_received_before})`
          : kiosk.kiosk_id,
        'unknown',
        kiosk.gaps.length
          ? `${kiosk.gaps.map((g) => `${g.from_seq}-${g.to_seq}`).join(', ')} (${kiosk.missing_events} missing)`
          : 'none',
        String(kiosk.voucher_conflicts),
        String(kiosk.dead_letters),
        kiosk.attention.length ? kiosk.attention.join('; ') : 'ok',
      ]),
    );
    assert.deepEqual(healthRows.map((row) => row[0]), ['kiosk-a', 'kiosk-b', 'kiosk-c', 'kiosk-d', 'kiosk-e']);
    // kiosk-e was revoked as it was seeded; it honours the vouchers HQ received until a day before.
    const kioskE = health.kiosks[4];
    assert.deepEqual([kioskE.revoked, health.kiosks.filter((kiosk) => kiosk.revoked).length], [true, 1]);
    const honouredFor = Date.parse(kioskE.revoked_at) - Date.parse(kioskE.honours_vouchers_received_before);
    assert.ok(honouredFor >= 86_400_000 && honouredFor < 86_460_000, `revoked ${honouredFor} ms after the time honoured`);
    assert.deepEqual([health.kiosks[0].revoked_at, health.kiosks[0].honours_vouchers_received_before], [null, null]);
    assert.equal(healthRows[1][5], '12-14 (3 missing)');
    // What needs attention, as HQ words it: kiosk-a's conflict; kiosk-b's gap, dead letter and
    // conflict; kiosk-c's phones' certificate ends within 14 days and kiosk-d's client certificate
    // within 30, each of which alone asks for attention. Nothing asks of revoked kiosk-e.
    const states = await page.locator('#health td[data-column=state]').evaluateAll((cells) =>
      cells.map((cell) => [cell.className, cell.textContent.replace(/expires in \d+ d\b/, 'expires in N d')]));
    assert.deepEqual(states, [
      ['state-attention', '1 voucher conflict'],
      ['state-attention', '3 events missing; 1 dead letter; 1 voucher conflict'],
      ['state-attention', "the phones' certificate expires in N d"],
      ['state-attention', 'the sync certificate expires in N d: not renewed by the kiosk (kioskctl status there says why); once expired, enroll the kiosk again'],
      ['state-ok', 'ok'],
    ]);
    // The certificates' ends as the kiosks' latest batches reported them (kiosk-b reported none).
    const ends = (name) => health.kiosks.map((kiosk) => kiosk[`${name}_not_after`]);
    const [https, client] = [ends('https_certificate'), ends('client_certificate')];
    const left = (notAfter, days) => new RegExp(`^${notAfter} \\((${days - 1}|${days}) d left\\)$`);
    assert.deepEqual(healthRows.map((row) => row.slice(8, 10).map((cell) => cell.replace(/\d+ d left/, 'N d left'))),
      [[`${https[0]} (N d left)`, `${client[0]} (N d left)`], ['not reported', 'not reported'],
       [`${https[2]} (N d left)`, `${client[2]} (N d left)`], [`${https[3]} (N d left)`, `${client[3]} (N d left)`],
       [`${https[4]} (N d left)`, `${client[4]} (N d left)`]]);
    assert.match(healthRows[0][8], left(https[0], 400));
    assert.match(healthRows[2][8], left(https[2], 5));
    assert.match(healthRows[3][9], left(client[3], 20));
    for (const row of [healthRows[2], healthRows[3]]) {
      assert.deepEqual(row.slice(4, 8), ['unknown', 'none', '0', '0']);
    }
    // Each kiosk was last heard from with its latest batch (none pulls config here).
    for (const [i, kiosk] of health.kiosks.entries()) {
      assert.ok(healthRows[i][2].startsWith(`${kiosk.last_sync_at} (`), healthRows[i][2]);
      assert.equal(kiosk.last_contact_at, kiosk.last_sync_at);
      assert.ok(healthRows[i][3].startsWith(`${kiosk.last_contact_at} (`), healthRows[i][3]);
    }
    await saveScreenshot(page, 'dashboard-2-by-channel', { fullPage: true });

    // Sorting: scans ascending, then descending (nulls last, ties in the API's order).
    const byScans = (descending) => sortedByFigure(byChannel.rows, 'scans', descending).map((row) => row.channel);
    await page.locator('#report th[data-column=scans]').click();
    assert.equal(await page.locator('#report th[data-column=scans]').getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(await tableGroups(page), byScans(false));
    await page.locator('#report th[data-column=scans]').click();
    assert.equal(await page.locator('#report th[data-column=scans]').getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await tableGroups(page), byScans(true));
    assert.notDeepEqual(byScans(true), byChannel.rows.map((row) => row.channel), 'sorting changes the order');

    // A filter change: rows by the first two path levels, first touch; still by scans, descending.
    await page.locator('#group-by').selectOption('path');
    await page.locator('#path-level').fill('2');
    await page.locator('#model').selectOption('first_touch');
    await apply(page, reportQuery('path:2', 'first_touch'));
    const byPath = await apiJson(`/v1/attribution?${reportQuery('path:2', 'first_touch')}`);
    const pathRows = sortedByFigure(byPath.rows, 'scans', true);
    await expectTableMatches(page, byPath, pathRows);
    assert.deepEqual(
      await page.locator('#report thead th').evaluateAll((cells) => cells.map((cell) => cell.textContent)),
      byPath.columns,
    );
    await page.locator('#row-filter').fill('north');
    assert.deepEqual(await tableGroups(page), pathRows.map((row) => row.path).filter((group) => group.includes('north')));
    assert.deepEqual(await tableGroups(page), ['north/greenwood', 'north/mall-7']);
    await saveScreenshot(page, 'dashboard-3-by-path', { fullPage: true });

    // The CSV link: the API's CSV for the same filters.
    const csvQuery = reportQuery('path:2', 'first_touch', 'csv');
    assert.equal(await page.locator('#csv-link').getAttribute('href'), `/v1/attribution?${csvQuery}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#csv-link').click()]);
    const file = await download.path();
    const csv = fs.readFileSync(file, 'utf8');
    const fromApi = await apiGet(`/v1/attribution?${csvQuery}`);
    assert.match(fromApi.type, /^text\/csv/);
    assert.equal(csv, fromApi.body);
    assert.ok(csv.startsWith('path,scans,unique_scanners,'), csv.slice(0, 80));

    // Store and campaign filters: listed from the channel catalogue; the table is the API's
    // report for the chosen store, and the CSV link follows.
    const catalogue = await apiJson('/v1/channels');
    const listed = (filter) => ['', ...new Set(catalogue.channels.map((channel) => channel[filter]))].sort();
    assert.deepEqual(await page.locator('#store option').evaluateAll((options) => options.map((o) => o.value)), listed('store'));
    assert.deepEqual(await page.locator('#campaign option').evaluateAll((options) => options.map((o) => o.value)), listed('campaign'));
    assert.deepEqual(listed('store'), ['', 'store-1', 'store-2']);
    await page.locator('#row-filter').fill('');
    await page.locator('#store').selectOption('store-1');
    const storeQuery = `${reportQuery('path:2', 'first_touch')}&store=store-1`;
    await apply(page, storeQuery);
    const forStore = await apiJson(`/v1/attribution?${storeQuery}`);
    assert.equal(forStore.query.store, 'store-1');
    assert.ok(forStore.totals.scans < byPath.totals.scans, 'the filter leaves scans out');
    await expectTableMatches(page, forStore, sortedByFigure(forStore.rows, 'scans', true));
    assert.match(await page.locator('#status').textContent(), /only store store-1$/);
    assert.equal(
      await page.locator('#csv-link').getAttribute('href'),
      `/v1/attribution?${reportQuery('path:2', 'first_touch', 'csv')}&store=store-1`,
    );
  });
});

test('the token stays out of the page: an HttpOnly cookie, kept across a reload, gone at log out', async () => {
  await browser.context.clearCookies();
  await onPage(browser.context, 'dashboard-session', async (page) => {
    await logIn(page, hq.token);
    await page.locator('#dashboard[data-query]').waitFor();
    const cookies = await browser.context.cookies(hq.base);
    assert.deepEqual(
      cookies.map((c) => [c.name, c.httpOnly, c.secure, c.sameSite, c.path, c.expires]),
      [['__Host-hq-dashboard', true, true, 'Strict', '/', -1]],
      'a session cookie only HQ reads, gone when the browser closes',
    );
    // "<Unix s of the log-in>.<token name>.<HQ's MAC>", never the token: HQ ends the session 12
    // hours after the log-in.
    const [openedText, tokenName, mac] = cookies[0].value.split('.');
    assert.match(cookies[0].value, /^[0-9]+\.test\.[A-Za-z0-9_-]{43}$/);
    assert.equal(cookies[0].value.includes(hq.token.slice(3)), false, 'the token is not in the cookie');
    const nowS = Math.floor(Date.now() / 1000);
    const openedS = Number(openedText);
    assert.ok(openedS <= nowS && openedS > nowS - 60, openedText);
    assert.deepEqual(await page.evaluate(() => [document.cookie, sessionStorage.length, localStorage.length]), ['', 0, 0]);
    assert.equal((await page.content()).includes(hq.token), false, 'the token is not in the page');

    await page.reload();
    await page.locator('#dashboard[data-query]').waitFor();
    assert.equal(await page.locator('#login').isHidden(), true, 'still logged in after a reload');

    await page.locator('#logout').click();
    await page.locator('#login').waitFor();
    assert.deepEqual(await browser.context.cookies(hq.base), [], 'log out ends the session at HQ');
    await page.reload();
    await page.locator('#login').waitFor();
    assert.equal(await page.locator('#login-error').isHidden(), true, 'no error without a session');
    assert.equal(await page.locator('#dashboard').isHidden(), true);

    // A cookie of the form before sessions had a MAC (the token itself) is no session: back to
    // the form, without an error.
    const session = (value) => ({ name: '__Host-hq-dashboard', value, url: hq.base, secure: true, httpOnly: true, sameSite: 'Strict' });
    await browser.context.addCookies([session(`${nowS}.${hq.token}`)]);
    await page.reload();
    await page.locator('#login').waitFor();
    assert.equal(await page.locator('#login-error').isHidden(), true, 'an old cookie is no error');
    assert.equal(await page.locator('#dashboard').isHidden(), true);

    // A session whose log-in time was moved 12 hours on, to outlive it: HQ did not make that
    // cookie. Back to the form with HQ's message, once the cookie is dropped.
    await browser.context.addCookies([session(`${openedS + 12 * 3600}.${tokenName}.${mac}`)]);
    const [ended] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${hq.base}/v1/dashboard/session` && r.request().method() === 'DELETE'),
      page.reload(),
    ]);
    await page.locator('#login-error').waitFor();
    assert.equal(
      await page.locator('#login-error').textContent(),
      'HQ refused the token: the bearer token is not valid (HTTP 401). Paste a valid HQ API token.',
    );
    assert.equal(ended.status(), 204);
    assert.deepEqual(await browser.context.cookies(hq.base), [], 'the stale cookie is dropped');
  });
});
