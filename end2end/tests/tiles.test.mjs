// A configured tile server is drawn under the outline, with its attribution. This journey
// runs its own portal (the release binary the suite was built with) because tiles are a
// start-up setting, and its own loopback tile server that counts what the map asks for.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import { PORTAL_BINARY, PortalPage, launch, spawnPortal, until } from './helpers.mjs';


/** A 256×256 one-colour PNG. */
function png() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(256, 0);
  header.writeUInt32BE(256, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(256 * 3, 0xc8)]);
  const raw = Buffer.concat(Array.from({ length: 256 }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('map tiles from a configured tile server', { skip: existsSync(PORTAL_BINARY) ? false : `${PORTAL_BINARY} not built` }, () => {
  let tiles;
  let portal;
  let browser;
  const asked = [];

  before(async () => {
    const image = png();
    tiles = createServer((req, res) => {
      asked.push(req.url);
      res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' });
      res.end(image);
    });
    await new Promise((r) => tiles.listen(0, '127.0.0.1', r));
    portal = await spawnPortal(3310, {
      REPLIMAP_TILE_URL: `http://127.0.0.1:${tiles.address().port}/{z}/{x}/{y}.png`,
      REPLIMAP_TILE_ATTRIBUTION: '© Test Tiles',
    });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    portal?.process.kill();
    tiles?.close();
  });

  test('tiles are requested and drawn under the outline, with attribution', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    const p = new PortalPage(context, page);
    await page.goto(`${portal.url}/`);
    await page.locator('.region-marker[data-state="home"]').waitFor({ timeout: 30_000 });
    await until(() => asked.length > 0, { what: 'a tile request' });
    assert.match(asked[0], /^\/\d+\/\d+\/\d+\.png$/, 'the {z}/{x}/{y} template was filled in');
    await page.locator('img.leaflet-tile-loaded').first().waitFor({ timeout: 10_000 });
    assert.match(await page.locator('.leaflet-control-attribution').innerText(), /© Test Tiles/);
    assert.ok(await page.locator('#map.with-tiles').count(), 'the outline traces borders only');
    p.assertNoErrors();
    await context.close();
  });
});
