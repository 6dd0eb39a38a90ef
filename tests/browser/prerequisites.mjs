// ctest's browser.prerequisites: fails with one clear message when chromium, the npm packages
// (playwright-core at the version package.json pins), kiosk-agent or decode_png is missing.
import { checkPrerequisites, chromiumPath } from './harness.mjs';

try {
  checkPrerequisites({ needDecoder: true });
  console.log(`browser tests: prerequisites present (chromium ${chromiumPath}, playwright-core, kiosk-agent, decode_png)`);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
