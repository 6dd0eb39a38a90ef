// Scenario 3: the kiosk screen's presence code rotates (presence_step_seconds = 2 here), a
// screenshot of it decodes with ZXing-C++ (the decode_png helper) to the URL the page says it
// shows, and that URL opens the offer on a phone.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  ACTION_MS,
  decodeQrPng,
  onPage,
  saveScreenshot,
  useAgentAndBrowser,
} from './harness.mjs';

const STEP_SECONDS = 2;
const PRESENCE_URL = /^HTTP:\/\/127\.0\.0\.1:\d+\/K\/\S+$/;
const session = useAgentAndBrowser({
  needDecoder: true,
  configToml: `[kiosk]\npresence_step_seconds = ${STEP_SECONDS}\n`,
});

// The URL the kiosk screen's script says the code shows (data-url, set after each refresh).
const shownUrl = (page) => page.locator('#code').getAttribute('data-url');

test('the kiosk code rotates and its screenshot decodes to a working presence URL', { timeout: 60_000 }, async () => {
  const { agent, browser } = session;
  const presenceUrl = await onPage(browser.context, 'kiosk-screen', async (page) => {
    const response = await page.goto(agent.kioskUrl);
    assert.equal(response.status(), 200);
    await page.locator('#code svg').waitFor();
    const touch = page.locator('#touch-signup');
    assert.ok(await touch.isVisible(), 'the touch sign-up link is shown');
    assert.equal(await touch.getAttribute('href'), '/signup?channel=KIOSK-SCREEN&touch=1');

    // The first refresh sets data-url; then wait for the rotation to change it (within about
    // two steps: the code rotates every STEP_SECONDS and the page polls every 2 s).
    const first = await (
      await page.waitForFunction(() => document.getElementById('code').dataset.url || null, null, {
        timeout: ACTION_MS,
      })
    ).jsonValue();
    assert.match(first, PRESENCE_URL);
    const firstSvg = await page.locator('#code').innerHTML();
    const waitStart = Date.now();
    const second = await (
      await page.waitForFunction(
        (previous) => {
          const url = document.getElementById('code').dataset.url;
          return url && url !== previous ? url : null;
        },
        first,
        { timeout: 4 * STEP_SECONDS * 1000 + 2000, polling: 100 },
      )
    ).jsonValue();
    console.log(`# the code rotated ${Date.now() - waitStart} ms after the first one was shown`);
    assert.match(second, PRESENCE_URL);
    assert.notEqual(await page.locator('#code').innerHTML(), firstSvg, 'the drawn code changed too');

    // Screenshot the code and decode it. A rotation may land between reading data-url and the
    // screenshot; then the two reads differ and the screenshot is taken again.
    for (let attempt = 1; ; ++attempt) {
      const before = await shownUrl(page);
      const file = await saveScreenshot(page.locator('#code'), 'kiosk-1-code');
      const afterwards = await shownUrl(page);
      if (before !== afterwards && attempt < 3) continue;
      assert.equal(before, afterwards, 'the code kept rotating during three screenshots in a row');
      const decoded = await decodeQrPng(file);
      assert.deepEqual(decoded, [before], `ZXing read ${JSON.stringify(decoded)} from ${file}`);
      assert.match(decoded[0], PRESENCE_URL);
      await saveScreenshot(page, 'kiosk-2-phone', { fullPage: true });
      await page.setViewportSize({ width: 1080, height: 1920 });  // a portrait kiosk screen
      await saveScreenshot(page, 'kiosk-3-portrait', { scale: 'css' });
      return decoded[0];
    }
  });

  // A phone that scanned the code opens the offer, attributed to the kiosk screen.
  await onPage(browser.context, 'presence-landing', async (page) => {
    const response = await page.goto(presenceUrl);
    assert.equal(response.status(), 200);
    await page.locator('h1', { hasText: 'Welcome' }).waitFor();
    assert.equal(await page.locator('.notice').count(), 0, 'the code is recognised');
    assert.equal(
      await page.locator('a.button', { hasText: 'Sign up now' }).getAttribute('href'),
      '/signup?channel=KIOSK-SCREEN',
    );
    await saveScreenshot(page, 'kiosk-4-presence-landing', { fullPage: true });
  });

  await session.stopAndExpectCleanExit();
});
