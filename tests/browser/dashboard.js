// Opens a page of the operator's dashboard in headless Chromium, checks what an artist would
// see (a shot's card, its progress bar, images that really loaded) and saves a screenshot.
// Prints what it found as one JSON line; exits non-zero, naming the failed check, otherwise.
//
// node dashboard.js --url URL --screenshot FILE [--shot NAMESPACE/NAME]
//                   [--progress-between LOW,HIGH] [--images SELECTOR]...
//
// --shot              the shot's card must be on the page (the overview)
// --progress-between  its progress bar must read strictly between LOW and HIGH percent
// --images            at least one element matches SELECTOR and every match is a loaded
//                     image (naturalWidth > 0); may be given several times

'use strict';

const { chromium } = require('playwright-core');

const VIEWPORT = { width: 1280, height: 800 };
const IMAGE_TIMEOUT_MS = 20000;

function parseArguments(argv) {
  const options = { images: [] };
  for (let index = 0; index < argv.length; index += 2) {
    const [flag, value] = [argv[index], argv[index + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    switch (flag) {
      case '--url': options.url = value; break;
      case '--screenshot': options.screenshot = value; break;
      case '--shot': options.shot = value; break;
      case '--progress-between': options.progress = value.split(',').map(Number); break;
      case '--images': options.images.push(value); break;
      default: throw new Error(`unknown argument ${flag}`);
    }
  }
  if (!options.url || !options.screenshot) throw new Error('--url and --screenshot are required');
  return options;
}

// Waits until every image matching `selector` has finished loading or failed; then returns
// the natural width of each (0 for an image that did not load).
async function loadedImages(page, selector) {
  await page.waitForFunction(
    (wanted) => {
      const images = [...document.querySelectorAll(wanted)];
      return images.length > 0 && images.every((image) => image.complete);
    },
    selector,
    { timeout: IMAGE_TIMEOUT_MS },
  ).catch(() => {});
  return page.$$eval(selector, (images) =>
    images.map((image) => ({ src: image.currentSrc || '', naturalWidth: image.naturalWidth || 0 })));
}

async function check(page, options) {
  const found = { title: await page.title(), images: {} };
  if (options.shot) {
    const card = page.locator(`section.shot[data-shot="${options.shot}"]`);
    if ((await card.count()) !== 1) throw new Error(`no card of shot ${options.shot} on the page`);
    found.card = (await card.innerText()).replace(/\s+/g, ' ').trim();
    const value = await card.locator('[role=progressbar]').getAttribute('aria-valuenow');
    found.progress = Number(value);
    if (options.progress) {
      const [low, high] = options.progress;
      if (!(found.progress > low && found.progress < high)) {
        throw new Error(`progress of ${options.shot} is ${value}, not between ${low} and ${high}`);
      }
    }
  }
  for (const selector of options.images) {
    const images = await loadedImages(page, selector);
    found.images[selector] = images.map((image) => image.naturalWidth);
    if (images.length === 0) throw new Error(`no image matches ${selector}`);
    const broken = images.filter((image) => image.naturalWidth === 0);
    if (broken.length > 0) {
      throw new Error(`${broken.length} of ${images.length} images of ${selector} did not load: ` +
        broken.map((image) => image.src.split('?')[0]).join(', '));
    }
  }
  return found;
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    const response = await page.goto(options.url, { waitUntil: 'load' });
    if (!response || !response.ok()) {
      throw new Error(`GET ${options.url} answered ${response ? response.status() : 'nothing'}`);
    }
    const found = await check(page, options);
    await page.screenshot({ path: options.screenshot });
    console.log(JSON.stringify(found));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(`dashboard check failed: ${error.message}`);
  process.exit(1);
});
