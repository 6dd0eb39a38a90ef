// Scenario 2: validation errors appear next to the fields they are about, and what the shopper
// typed is kept, so fixing one field does not mean typing everything again.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  onPage,
  saveScreenshot,
  useAgentAndBrowser,
} from './harness.mjs';

const CHANNEL = 'FLYER-NOV';
const session = useAgentAndBrowser();

// Submits the form and returns the HTTP status of the POST.
async function submit(page) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/signup') && r.request().method() === 'POST'),
    page.locator('button[type=submit]').click(),
  ]);
  await page.waitForLoadState('domcontentloaded');
  return response.status();
}

// Asserts that `error` is visible, says `text`, is announced for `field` (aria-describedby),
// and sits just below the field: nothing else between them but the field's hint.
async function assertErrorNextTo(page, { field, error, text, describes = field, maxGapPx = 90 }) {
  const message = page.locator(error);
  await message.waitFor({ state: 'visible' });
  assert.equal((await message.textContent()).trim(), text);
  assert.equal(await page.locator(describes).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator(describes).getAttribute('aria-describedby'), error.slice(1));
  const fieldBox = await page.locator(field).boundingBox();
  const errorBox = await message.boundingBox();
  const gap = errorBox.y - (fieldBox.y + fieldBox.height);
  assert.ok(
    gap >= 0 && gap <= maxGapPx,
    `${error} should be just below ${field}: it is ${gap.toFixed(0)} px below (at most ${maxGapPx})`,
  );
}

test('validation errors appear next to their fields and typed values are kept', { timeout: 60_000 }, async () => {
  const { agent, browser } = session;
  await onPage(browser.context, 'validation', async (page) => {
    const form = await page.goto(`${agent.base}/signup?channel=${CHANNEL}`);
    assert.equal(form.status(), 200);
    assert.equal(await page.locator('.error').count(), 0, 'a fresh form shows no errors');

    // A bad phone number and no consent.
    await page.locator('#name').fill('Grace Hopper');
    await page.locator('#phone').fill('12345');
    assert.equal(await submit(page), 422);
    await assertErrorNextTo(page, {
      field: '#phone',
      error: '#phone-error',
      text: 'This is not a valid mobile number',
    });
    await assertErrorNextTo(page, {
      field: 'label:has(#consent_service)',
      error: '#consent-error',
      text: 'Please tick the required consent',
      describes: '#consent_service',
      maxGapPx: 20,
    });
    assert.equal(await page.locator('#name-error').count(), 0, 'the name was fine');
    assert.equal(await page.locator('#name').inputValue(), 'Grace Hopper', 'the typed name is kept');
    assert.equal(await page.locator('#phone').inputValue(), '12345', 'the typed phone is kept');
    assert.equal(await page.locator('input[name=channel]').inputValue(), CHANNEL, 'the channel is kept');
    await saveScreenshot(page, 'validation-1-phone-and-consent', { fullPage: true });

    // An empty name, now with a good phone and the consent: only the name is complained about.
    await page.locator('#name').fill('');
    await page.locator('#phone').fill('+852 6123 4567');
    await page.locator('#consent_service').check();
    assert.equal(await submit(page), 422);
    await assertErrorNextTo(page, { field: '#name', error: '#name-error', text: 'Please enter your name', maxGapPx: 20 });
    assert.equal(await page.locator('#phone-error').count(), 0);
    assert.equal(await page.locator('#consent-error').count(), 0);
    assert.equal(await page.locator('#phone').inputValue(), '+852 6123 4567');
    assert.ok(await page.locator('#consent_service').isChecked(), 'the ticked consent is kept');
    await saveScreenshot(page, 'validation-2-name', { fullPage: true });

    // Fixed: the re-rendered form (with its fresh CSRF token) goes through.
    await page.locator('#name').fill('Grace Hopper');
    assert.equal(await submit(page), 200);
    assert.equal((await page.locator('#result').textContent()).trim(), "You're signed up");
  });

  await session.stopAndExpectCleanExit();
});
