/**
 * The HTML report's error chart, rendered in headless Chromium (Debian's `chromium`, driven by playwright-core): the
 * page is checked as laid out — axes labelled, every point named on hover, the tolerance and noise floor drawn, exact
 * zeros on their own band, the first divergence labelled, nothing outside the chart or overlapping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildReport, ReportData } from '../../src/report/report.js';
import { renderHtml } from '../../src/report/render.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs it (.ci/run); a developer's machine without it skips these tests with the reason
const have = existsSync(CHROMIUM);
if (!have && process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);

interface Box { x: number; y: number; width: number; height: number }
const inside = (a: Box, b: Box): boolean => a.x >= b.x - 0.5 && a.y >= b.y - 0.5 && a.x + a.width <= b.x + b.width + 0.5 && a.y + a.height <= b.y + b.height + 0.5;
const overlap = (a: Box, b: Box): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe.skipIf(!have)('the HTML report in Chromium', () => {
  let browser: Browser;
  let data: ReportData;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    data = await buildReport('fixtures/models/shufflenet_v2_x0_5.bn.onnx', { atol: 1e-4, rtol: 1e-3, seed: 0 });
  }, 60_000);
  afterAll(async () => { await browser?.close(); });

  const open = async (d: ReportData): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.setContent(renderHtml(d));
    return page;
  };
  const box = async (page: Page, sel: string): Promise<Box> => (await page.locator(sel).first().boundingBox())!;

  it('draws labelled axes, the tolerance, the noise floor and every layer with its name on hover', async () => {
    const page = await open(data);
    const svg = await box(page, 'svg.error-chart');
    expect(svg.width).toBeGreaterThan(600);
    const labels = await page.locator('svg.error-chart .axis-label').allTextContents();
    expect(labels).toEqual(['max abs diff (log scale)', expect.stringMatching(/^layer, in execution order \(\d+ layers; hover a point for its name\)$/)]);
    for (const sel of ['.axis-label >> nth=0', '.axis-label >> nth=1', 'line.atol', 'g.legend']) expect(inside(await box(page, `svg.error-chart ${sel}`), svg), sel).toBe(true);
    expect(overlap(await box(page, 'svg.error-chart .axis-label >> nth=1'), await box(page, 'svg.error-chart g.legend'))).toBe(false);
    expect(await page.locator('svg.error-chart text', { hasText: 'tolerance atol=0.0001' }).count()).toBe(1);
    expect(await page.locator('svg.error-chart .floor').count()).toBeGreaterThan(0);
    // one point per layer (scopes are not points), each with a hover title naming it
    const layers = data.perLayer.filter(l => l.kind !== 'scope');
    expect(await page.locator('svg.error-chart g.layer').count()).toBe(layers.length);
    const titles = await page.locator('svg.error-chart g.layer > title').allTextContents();
    expect(titles.map(t => t.split(' (')[0])).toEqual(layers.map(l => l.name));
    expect(titles[0]).toMatch(/: max abs diff \S+, on the reference's inputs \S+, noise floor \S+$/);
    // the tolerance line is drawn at 1e-4: between the 1e-5 and 1e-3 grid labels
    const tick = async (t: string): Promise<number> => (await box(page, `svg.error-chart text:text-is("${t}")`)).y;
    const atolY = (await box(page, 'svg.error-chart line.atol')).y;
    expect(atolY).toBeGreaterThan(await tick('1e-3'));
    expect(atolY).toBeLessThan(await tick('1e-5'));
    await page.close();
  });

  it('puts exact zeros on a band labelled as such, below the log axis', async () => {
    const page = await open(data);
    const zeros = page.locator('svg.error-chart circle.zero');
    const n = data.perLayer.filter(l => l.kind !== 'scope' && l.maxAbsDiff === 0).length;
    expect(n).toBeGreaterThan(0); // shufflenet's channel shuffles and splits before any arithmetic are exact
    expect(await zeros.count()).toBe(n);
    const band = await box(page, 'svg.error-chart text:text-is("0 (exact)")');
    const lowestTick = Math.max(...await Promise.all((await page.locator('svg.error-chart text').allTextContents()).filter(t => /^1e-?\d+$/.test(t)).map(async t => (await box(page, `svg.error-chart text:text-is("${t}")`)).y)));
    expect(band.y).toBeGreaterThan(lowestTick);
    for (let i = 0; i < n; i++) expect(Math.abs((await zeros.nth(i).boundingBox())!.y + 3 - (band.y + band.height / 2))).toBeLessThan(6);
    await page.close();
  });

  it('labels the first divergence beside its point, inside the chart', async () => {
    // the renderer's job on a report whose third layer diverges (msport's own tree does not diverge on a fixture)
    const leaves = data.perLayer.filter(l => l.kind !== 'scope');
    const bad = leaves[2]!.name;
    const page = await open({ ...data, passed: false, firstDivergence: bad, perLayer: data.perLayer.map(l => (l.name === bad ? { ...l, maxAbsDiff: 0.3, local: 0.3, introducesError: true } : l)) });
    const label = page.locator('svg.error-chart text.first-divergence');
    expect(await label.textContent()).toBe(`first divergence: ${bad}`);
    const lb = (await label.boundingBox())!, svg = await box(page, 'svg.error-chart');
    expect(inside(lb, svg)).toBe(true);
    const point = (await page.locator(`svg.error-chart g.layer[data-name="${bad}"] circle.chained`).boundingBox())!;
    expect(Math.abs(lb.y + lb.height - point.y)).toBeLessThan(30);
    expect(await page.locator(`svg.error-chart g.layer[data-name="${bad}"] > title`).textContent()).toMatch(/— first divergence$/);
    await page.close();
  });
});
