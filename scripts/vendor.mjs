#!/usr/bin/env node
// Regenerates the vendored front-end assets in public/ from the root devDependencies:
//   public/leaflet/      leaflet.js, leaflet.css, images/, LICENSE   (npm leaflet)
//   public/data/world.geojson                                        (npm world-atlas countries-110m, topojson-simplify)
// The outputs are committed, so a normal build never needs this script; run it after bumping
// one of those packages: `npm ci && npm run vendor`.
//
// world-atlas is in spherical coordinates: rings that cross the antimeridian are stitched
// across it, and Antarctica's ring goes around the pole. Leaflet draws on a flat plane, where
// that shows as stripes across the whole map. So every ring is cut at its ±180° jumps, and a
// ring that jumps an odd number of times (it encircles a pole) is unwrapped and closed via
// the pole. Coordinates are rounded to 1 decimal (about 11 km, about a pixel at zoom 4, the
// closest the map fits at on a 4K wall screen), plenty for a 110m outline; the page draws the
// shapes only, so no properties are kept. Both keep the first load small (end2end/budget.json).
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pub = join(root, 'public');
const pkgDir = (name) => dirname(require.resolve(`${name}/package.json`));

function vendorLeaflet() {
  const dist = join(pkgDir('leaflet'), 'dist');
  const out = join(pub, 'leaflet');
  mkdirSync(out, { recursive: true });
  copyFileSync(join(dist, 'leaflet.js'), join(out, 'leaflet.js'));
  copyFileSync(join(dist, 'leaflet.css'), join(out, 'leaflet.css'));
  cpSync(join(dist, 'images'), join(out, 'images'), { recursive: true });
  copyFileSync(join(pkgDir('leaflet'), 'LICENSE'), join(out, 'LICENSE'));
}

const round = (v) => Math.round(v * 10) / 10;
const SIMPLIFY_AREA = 0.1;
const jumps = (a, b) => Math.abs(b[0] - a[0]) > 180;

// A ring without its closing point, rounded, without repeated points.
function clean(ring) {
  const out = [];
  for (const [lon, lat] of ring) {
    const p = [round(lon), round(lat)];
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  const first = out[0];
  const last = out[out.length - 1];
  if (out.length > 1 && first[0] === last[0] && first[1] === last[1]) out.pop();
  return out;
}

const close = (ring) => [...ring, ring[0]];

// Cut one open ring into rings that each stay on one side of the antimeridian.
function splitRing(open) {
  const n = open.length;
  const at = [];
  for (let i = 0; i < n; i++) if (jumps(open[i], open[(i + 1) % n])) at.push(i);
  if (at.length === 0) return [close(open)];
  if (at.length % 2 === 1) {
    // Encircles a pole: unwrap so longitudes run on continuously, then close along the pole.
    const start = (at[0] + 1) % n;
    const seq = [...open.slice(start), ...open.slice(0, start)];
    const unwrapped = [seq[0]];
    let shift = 0;
    for (let i = 1; i < seq.length; i++) {
      if (jumps(seq[i - 1], seq[i])) shift += seq[i - 1][0] > seq[i][0] ? 360 : -360;
      unwrapped.push([seq[i][0] + shift, seq[i][1]]);
    }
    const meanLat = seq.reduce((s, p) => s + p[1], 0) / seq.length;
    const pole = meanLat < 0 ? -90 : 90;
    const a = unwrapped[0];
    const b = unwrapped[unwrapped.length - 1];
    return [close([...unwrapped, [b[0], pole], [a[0], pole]])];
  }
  // Even number of crossings: the pieces between crossings each start and end on the
  // meridian, so closing each piece by itself follows the antimeridian exactly.
  const start = (at[0] + 1) % n;
  const seq = [...open.slice(start), ...open.slice(0, start)];
  const pieces = [[seq[0]]];
  for (let i = 1; i < seq.length; i++) {
    if (jumps(seq[i - 1], seq[i])) pieces.push([]);
    pieces[pieces.length - 1].push(seq[i]);
  }
  return pieces.filter((p) => p.length >= 3).map(close);
}

function polygonsOf(geometry) {
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

function vendorWorld() {
  const { feature } = require('topojson-client');
  const { presimplify, simplify } = require('topojson-simplify');
  const raw = JSON.parse(readFileSync(join(pkgDir('world-atlas'), 'countries-110m.json'), 'utf8'));
  // Visvalingam on the shared arcs (neighbours keep one border): drops the points whose triangle
  // with its neighbours is under SIMPLIFY_AREA square degrees, a third of the points and a
  // quarter of the bytes, none of it visible at world zoom.
  const topo = simplify(presimplify(raw), SIMPLIFY_AREA);
  const countries = feature(topo, topo.objects.countries);
  const features = [];
  for (const f of countries.features) {
    const polygons = [];
    for (const poly of polygonsOf(f.geometry)) {
      const [outer, ...holes] = poly.map(clean).filter((r) => r.length >= 3);
      if (!outer) continue;
      const outers = splitRing(outer);
      // Holes never cross the antimeridian in this data set; keep them with the first piece.
      const keptHoles = holes.map(close);
      outers.forEach((ring, i) => polygons.push(i === 0 ? [ring, ...keptHoles] : [ring]));
    }
    if (polygons.length === 0) continue;
    features.push({
      type: 'Feature',
      properties: {},
      geometry: { type: 'MultiPolygon', coordinates: polygons },
    });
  }
  const out = join(pub, 'data');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'world.geojson'), JSON.stringify({ type: 'FeatureCollection', features }));
  writeFileSync(
    join(out, 'README.md'),
    '# public/data\n\n`world.geojson`: country outlines generated by `scripts/vendor.mjs` from npm ' +
      '`world-atlas` 2.0.2 (`countries-110m`, ISC licence; derived from Natural Earth, public domain), ' +
      'simplified (Visvalingam, ' + SIMPLIFY_AREA + ' square degrees), cut at the antimeridian and rounded to 1 decimal. Do not edit by hand.\n',
  );
  return features.length;
}

vendorLeaflet();
const n = vendorWorld();
console.log(`vendored leaflet and ${n} country outlines into public/`);
