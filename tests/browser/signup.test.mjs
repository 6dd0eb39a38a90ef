// Scenario 1: a shopper scans a poster's channel code with a phone, lands on the offer, taps
// "Sign up now", fills in name, mobile number and the required consent, submits, and sees the
// confirmation.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  onPage,
  saveScreenshot,
  useAgentAndBrowser,
} from './harness.mjs';

const CHANNEL = 'EL3-POSTER-V2';
const session = useAgentAndBrowser();

test('a shopper opens a channel URL, signs up and sees the confirmation', { timeout: 60_000 }, async () => {
  const { agent, browser } = session;
  const channelUrl = agent.channels.get(CHANNEL);
  assert.ok(channelUrl, `the banner lists no channel code for ${CHANNEL}`);
  assert.match(channelUrl, /^HTTP:\/\/127\.0\.0\.1:\d+\/C\/EL3-POSTER-V2\./);

  await onPage(browser.context, 'signup', async (page) => {
    // The landing page, as the phone's camera app opens it.
    const landing = await page.goto(channelUrl);
    assert.equal(landing.status(), 200);
    await page.locator('h1', { hasText: 'Welcome' }).waitFor();
    assert.equal(await page.locator('.notice').count(), 0, 'a valid code shows no "not recognised" notice');
    const signUp = page.locator('a.button', { hasText: 'Sign up now' });
    assert.equal(await signUp.getAttribute('href'), `/signup?channel=${CHANNEL}`);
    await saveScreenshot(page, 'signup-1-landing', { fullPage: true });

    await Promise.all([page.waitForURL(/\/signup\?channel=EL3-POSTER-V2$/), signUp.click()]);
    await page.locator('h1', { hasText: 'Sign up for your gift' }).waitFor();
    assert.equal(await page.locator('input[name=channel]').inputValue(), CHANNEL);

    await page.locator('#name').fill('Ada Lovelace');
    await page.locator('#phone').fill('138 1234 5678');
    await page.locator('#consent_service').check();
    await saveScreenshot(page, 'signup-2-form-filled', { fullPage: true });

    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/signup') && r.request().method() === 'POST'),
      page.locator('button[type=submit]').click(),
    ]);
    assert.equal(response.status(), 200);
    const result = page.locator('#result');
    await result.waitFor({ state: 'visible' });
    assert.equal((await result.textContent()).trim(), "You're signed up");
    await page.locator('text=Thank you! Show your gift voucher in store').waitFor();
    await saveScreenshot(page, 'signup-3-result', { fullPage: true });
  });

  // The same poster in Chinese, the pages' default language (?lang= overrides the browser's).
  await onPage(browser.context, 'signup-zh', async (page) => {
    const landing = await page.goto(`${channelUrl}?lang=zh`);
    assert.equal(landing.status(), 200);
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh');
    await page.locator('h1', { hasText: '欢迎光临' }).waitFor();
    await page.locator('a.button', { hasText: '立即注册' }).waitFor();
    await saveScreenshot(page, 'signup-4-landing-zh', { fullPage: true });
  });

  await session.stopAndExpectCleanExit();
});
