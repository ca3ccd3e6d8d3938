import { BudgetPictureInput, renderBudgetSvg } from '../../lib/budget/budget-svg';

/** Tags open and close in order, and no text holds a raw `<` or `&`: the document is well-formed. */
function expectWellFormed(svg: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(svg); m; m = tag.exec(svg)) {
    expect(svg.slice(last, m.index)).not.toMatch(/<|&(?!amp;|lt;|gt;|quot;)/);
    last = tag.lastIndex;
    if (m[4] === '/') {
      continue;
    }
    if (m[1] === '/') {
      expect(stack.pop()).toBe(m[2]);
    } else {
      stack.push(m[2]);
    }
  }
  expect(stack).toEqual([]);
}

/** The x and width of the rectangle whose tooltip is `label`. */
function rectOf(svg: string, label: string): { x: number; width: number } {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`<rect x="([\\d.]+)" y="[\\d.]+" width="([\\d.]+)"[^>]*><title>${escaped}</title>`).exec(svg);
  if (!match) {
    throw new Error(`no rectangle titled '${label}'`);
  }
  return { x: Number(match[1]), width: Number(match[2]) };
}

const demo: BudgetPictureInput = {
  engine: 'PostgreSQL',
  maxConnections: 394,
  maxConnectionsSource: 'default formula for db.t4g.medium',
  reservedConnections: 9,
  adminHeadroom: 20,
  directConnections: 5,
  proxyMaxConnectionsPercent: 91,
  proxyConnectionLimit: 358,
  allocations: [
    { name: 'Db/Functions/Api', path: 'PROXY', connections: 40, reservedConcurrency: 40, connectionsPerInvocation: 1 },
    { name: 'Db/Functions/Worker', path: 'PROXY', connections: 200, reservedConcurrency: 100, connectionsPerInvocation: 2 },
    { name: 'Migrations', path: 'DIRECT', connections: 5 },
  ],
  problems: [],
};

describe('budget picture', () => {
  test('draws every slot of the database to scale on one bar', () => {
    // WHEN
    const svg = renderBudgetSvg(demo, 'TestStack/Db');

    // THEN
    expectWellFormed(svg);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="960" height="\d+"/);
    expect(svg).toContain('Connection budget of TestStack/Db (PostgreSQL)');
    expect(svg).toContain('max_connections 394 (default formula for db.t4g.medium)');
    const widths = ['engine reserved: 9', 'admin headroom: 20', 'Migrations: 5', 'proxy pool (91%): 358', 'not given to the proxy: 2']
      .map(label => rectOf(svg, label).width);
    const bar = widths.reduce((a, b) => a + b, 0);
    expect(bar).toBeCloseTo(912, 0);
    // 358 of 394 slots are the proxy's.
    expect(widths[3] / bar).toBeCloseTo(358 / 394, 2);
  });

  test('enlarges the proxy pool with each consumer', () => {
    // WHEN
    const svg = renderBudgetSvg(demo, 'TestStack/Db');

    // THEN the pool bar spans the width, consumers first, then what is free
    expect(rectOf(svg, 'Db/Functions/Api: 40')).toEqual({ x: 24, width: expect.closeTo(912 * 40 / 358, 0) });
    expect(rectOf(svg, 'Db/Functions/Worker: 200').width).toBeCloseTo(912 * 200 / 358, 0);
    expect(rectOf(svg, 'free to allocate: 118').width).toBeCloseTo(912 * 118 / 358, 0);
    expect(svg).toContain('through the proxy: 240 of 358 allocatable connections given to consumers');
    expect(svg).not.toContain('proxy headroom line');
    // the table lists every consumer with its numbers
    expect(svg).toMatch(/Db\/Functions\/Worker<\/text>\n<text[^>]*>proxy<\/text>\n<text[^>]*>100<\/text>\n<text[^>]*>2<\/text>\n<text[^>]*>200<\/text>/);
    expect(svg).toMatch(/Migrations<\/text>\n<text[^>]*>direct<\/text>/);
  });

  test('draws the proxy headroom line where the allocatable connections end', () => {
    // GIVEN a plan that keeps 30% of the pool free
    const plan = { ...demo, proxyHeadroomPercent: 30, proxyHeadroom: 108 };

    // WHEN
    const svg = renderBudgetSvg(plan, 'TestStack/Db');

    // THEN
    expectWellFormed(svg);
    expect(svg).toContain('proxy headroom line: 250 allocatable, 108 kept free (30%)');
    const line = /<line x1="([\d.]+)"[^>]*stroke="#dc2626" stroke-width="2" stroke-dasharray="6 3"\/>/.exec(svg);
    expect(Number(line![1])).toBeCloseTo(24 + 912 * 250 / 358, 0);
    expect(rectOf(svg, 'free to allocate: 10').width).toBeCloseTo(912 * 10 / 358, 0);
    expect(rectOf(svg, 'proxy headroom')).toEqual({ x: expect.closeTo(24 + 912 * 250 / 358, 0), width: expect.closeTo(912 * 108 / 358, 0) });
  });

  test('derives the headroom from its percent when the plan gives only the percent', () => {
    const svg = renderBudgetSvg({ ...demo, proxyHeadroomPercent: 30 }, 'TestStack/Db');
    // floor(358 x 70 / 100) = 250 allocatable
    expect(svg).toContain('proxy headroom line: 250 allocatable, 108 kept free (30%)');
  });

  test('an over-committed budget shows the overflow and its problems', () => {
    // GIVEN consumers that need more than the pool
    const plan: BudgetPictureInput = {
      ...demo,
      allocations: [{ name: 'Db/Functions/Api', path: 'PROXY', connections: 400, reservedConcurrency: 400, connectionsPerInvocation: 1 }],
      problems: ['The consumers going through the proxy need 400 connections but the proxy may open 358: lower them.'],
    };

    // WHEN
    const svg = renderBudgetSvg(plan, 'TestStack/Db');

    // THEN the pool bar is scaled to the demand and the excess is outlined in red
    expectWellFormed(svg);
    expect(rectOf(svg, 'Db/Functions/Api: 400').width).toBeCloseTo(912, 0);
    expect(svg).toMatch(new RegExp(`<rect x="${Math.round((24 + 912 * 358 / 400) * 10) / 10}" y="\\d+" width="[\\d.]+" height="44" fill="none" stroke="#dc2626"`));
    expect(svg).toContain('>Problems</text>');
    expect(svg).toContain('- The consumers going through the proxy need 400 connections');
    expect(svg).not.toContain('free to allocate');
  });

  test('escapes names and shows an empty budget', () => {
    const svg = renderBudgetSvg({ ...demo, directConnections: 0, allocations: [{ name: 'a<b & "c"', path: 'DIRECT', connections: 0 }] }, 'S/<Db>');
    expectWellFormed(svg);
    expect(svg).toContain('a&lt;b &amp; &quot;c&quot;');
    expect(svg).toContain('Connection budget of S/&lt;Db&gt;');
    const empty = renderBudgetSvg({ ...demo, directConnections: 0, allocations: [] }, 'TestStack/Db');
    expectWellFormed(empty);
    expect(empty).toContain('(no consumers yet)');
  });
});
