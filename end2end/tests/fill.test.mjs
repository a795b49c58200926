// The journey of issue 12: the map shows where myACR0007's images run without a replica
// (gaps), "Fill N gaps…" opens the plan (/fill) with an az command and a monthly cost per
// region, one confirmation creates them all, and back on the map each gap region becomes Ready
// (the emulator's provisioning delay) until the coverage figure reads "N of N" (100%).
//
// The workloads are put in place out of band (the emulator's admin API, as if deployed
// elsewhere) and discovery is asked to run at once; the test removes them and the replicas
// the fill created afterwards, so the seed is left as it was found.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import {
  BASE_URL,
  EMULATOR_SKIP,
  LOAD_MS,
  PortalPage,
  SEED,
  SETTLE_MS,
  api,
  apiWrite,
  emulatorAdmin,
  launch,
  removeReplica,
  requireEmulator,
  until,
} from './helpers.mjs';

const REGISTRY = SEED.demo.name;
const SERVER = `${REGISTRY.toLowerCase()}.azurecr.io`;
/// Regions no other journey uses: a container group pulling from the registry in each, and
/// one at home (served by the home replica).
const GAPS = ['centralindia', 'eastasia'];
const WORKLOAD_REGIONS = [SEED.demo.home, ...GAPS];

const workloadId = (region) =>
  `/subscriptions/${SEED.demo.subscriptionId}/resourceGroups/e2e-fill-${region}` +
  `/providers/Microsoft.ContainerInstance/containerGroups/fill-${region}`;

/** A container group in `region` whose image names the registry (the attribution's evidence). */
const containerGroup = (region) => ({
  id: workloadId(region),
  type: 'Microsoft.ContainerInstance/containerGroups',
  location: region,
  properties: {
    provisioningState: 'Succeeded',
    osType: 'Linux',
    sku: 'Standard',
    restartPolicy: 'Always',
    containers: [{ name: 'web', properties: { image: `${SERVER}/web:1.0`, resources: { requests: { cpu: 1, memoryInGB: 1.5 } } } }],
    imageRegistryCredentials: [{ server: SERVER, username: REGISTRY.toLowerCase() }],
    instanceView: { state: 'Running' },
  },
});

const coveragePath = `/api/v1/registries/${SEED.demo.subscriptionId}/${SEED.demo.resourceGroup}/${REGISTRY}/coverage`;

/** Asks discovery to run now and waits until the coverage report satisfies `pred`. */
async function discover(pred, what) {
  await apiWrite('POST', '/api/v1/coverage/refresh');
  return until(async () => {
    const report = await api(coveragePath);
    return pred(report) ? report : null;
  }, { timeout: 60_000, every: 500, what });
}

describe('fill the gaps', { skip: EMULATOR_SKIP }, () => {
  let browser;
  let portal;
  /** Regions the fill created (removed afterwards, whichever they are). */
  let created = [];

  before(async () => {
    requireEmulator();
    for (const region of GAPS) await removeReplica(REGISTRY, region);
    for (const region of WORKLOAD_REGIONS) await emulatorAdmin('PUT', '/workloads', containerGroup(region));
    await discover((r) => GAPS.every((g) => r.gaps.includes(g)), `gaps in ${GAPS}`);
    browser = await launch();
  });

  afterEach(() => portal?.assertNoErrors());

  after(async () => {
    await portal?.close();
    await browser?.close();
    for (const region of WORKLOAD_REGIONS) {
      await emulatorAdmin('DELETE', `/workloads?id=${encodeURIComponent(workloadId(region))}`).catch(() => {});
    }
    for (const region of new Set([...GAPS, ...created])) await removeReplica(REGISTRY, region);
    await discover((r) => !GAPS.some((g) => r.gaps.includes(g)), 'the test workloads gone').catch(() => {});
  });

  test('see the gaps, follow the plan, confirm, and watch every gap become served', async () => {
    portal = await PortalPage.open(browser, `/?registry=${REGISTRY}`);
    const page = portal.page;
    const figure = page.locator('#coverage-figure');
    await page.waitForFunction(
      (gaps) => {
        const el = document.querySelector('#coverage-figure[data-regions]');
        return el && Number(el.dataset.regions) - Number(el.dataset.served) >= gaps;
      },
      GAPS.length,
      { timeout: LOAD_MS },
    );
    assert.match(await figure.innerText(), /\d+ of \d+ workload regions served locally/);
    await page.screenshot({ path: `${process.cwd()}/artifacts/fill-gaps-before.png` }).catch(() => {});

    // "Fill N gaps…" in the header opens the plan (the page itself is reachable by its URL too).
    const link = page.locator('a#fill-gaps[href]');
    if (await link.count()) {
      assert.match(await link.innerText(), /Fill \d+ gaps?…/);
      await link.click();
    } else {
      await page.goto(`${BASE_URL}/fill?registry=${REGISTRY}`);
    }
    await page.waitForURL(/\/fill\?registry=/);
    await page.locator('table#fill-plan').waitFor({ timeout: LOAD_MS });
    const planned = await page.locator('#fill-plan tbody tr[data-region]').evaluateAll((rows) => rows.map((r) => r.dataset.region));
    for (const region of GAPS) {
      assert.ok(planned.includes(region), `${region} in the plan: ${planned}`);
      const row = page.locator(`#fill-plan tr[data-region="${region}"]`);
      assert.match(await row.locator('pre.cli code').innerText(), new RegExp(`^az acr replication create .*--location ${region}`));
      assert.match(await row.locator('td.cost').innerText(), /^\$\d[\d,]*\.\d\d/);
      assert.match(await row.locator('td.break-even').innerText(), /Egress alone pays for this replica above [0-9,]+ GB|cost no transfer/);
      assert.equal(await row.locator('input[type=checkbox][name=region]').isChecked(), true);
    }
    assert.match(await page.locator('#fill-total').innerText(), /^\$\d[\d,]*\.\d\d$/);
    assert.match(await page.locator('#price-basis').innerText(), /estimates, not a quote/);
    const submit = page.locator('button#fill-submit');
    assert.equal(await submit.innerText(), `Create ${planned.length} replica${planned.length === 1 ? '' : 's'}`);
    assert.equal(await submit.isDisabled(), false);

    // Confirm: one answer per region.
    created = planned;
    await submit.click();
    await page.locator('#fill-results').waitFor({ timeout: LOAD_MS });
    const outcomes = await page.locator('#fill-results li[data-region]').evaluateAll((lis) =>
      Object.fromEntries(lis.map((li) => [li.dataset.region, li.dataset.outcome])),
    );
    assert.deepEqual(outcomes, Object.fromEntries(planned.map((r) => [r, 'accepted'])), 'every create accepted');

    // Back on the map: each gap region becomes Ready, and the figure reaches 100%.
    await page.locator('a#fill-map-link').click();
    await page.waitForURL(new RegExp(`/\\?registry=${REGISTRY}$`));
    await portal.ready();
    for (const region of planned) await portal.waitForMarker(region, ['ready'], SETTLE_MS * 2);
    await page.locator('#coverage-figure[data-percent="100"]').waitFor({ timeout: SETTLE_MS });
    const text = await figure.innerText();
    const [, served, regions] = text.match(/(\d+) of (\d+) workload regions served locally/) || [];
    assert.ok(served && served === regions, `N of N: ${text}`);
    await page.screenshot({ path: `${process.cwd()}/artifacts/fill-gaps-after.png` }).catch(() => {});

    // The plan has nothing left to fill.
    await page.goto(`${BASE_URL}/fill?registry=${REGISTRY}`);
    assert.match(await page.locator('#fill-nothing').innerText(), /Nothing to fill/);
  });
});
