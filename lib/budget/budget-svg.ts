/**
 * The connection budget as an SVG picture: the database's slots as one bar, the proxy pool
 * enlarged below it with each consumer and the headroom the proxy keeps free, and a table.
 *
 * The renderer reads a small input of its own, which a `BudgetPlan` satisfies as it is, so the
 * plan can grow fields without the picture depending on them.
 */

/** One consumer of the budget, as the picture shows it. */
export interface BudgetPictureConsumer {
  readonly name: string;
  /** 'PROXY' or 'DIRECT' (the values of `ConnectionPath`). */
  readonly path: string;
  readonly connections: number;
  readonly reservedConcurrency?: number;
  readonly connectionsPerInvocation?: number;
}

/** What the picture needs of a budget. */
export interface BudgetPictureInput {
  readonly engine: string;
  readonly maxConnections: number;
  readonly maxConnectionsSource?: string;
  readonly reservedConnections: number;
  readonly adminHeadroom: number;
  readonly directConnections: number;
  readonly proxyMaxConnectionsPercent: number;
  /** The proxy pool: connections the proxy may open. */
  readonly proxyConnectionLimit: number;
  /** Percent of the proxy pool kept free. Absent: no headroom line. */
  readonly proxyHeadroomPercent?: number;
  /** Connections of the proxy pool kept free. Absent: computed from the percent, or none. */
  readonly proxyHeadroom?: number;
  readonly allocations: readonly BudgetPictureConsumer[];
  readonly problems: readonly string[];
}

const WIDTH = 960;
const LEFT = 24;
const BAR_WIDTH = WIDTH - 2 * LEFT;
const BAR_HEIGHT = 44;
const ROW_HEIGHT = 22;
const CHAR_WIDTH = 7; // average width of a 12px sans-serif character, to decide what fits

const COLORS = {
  reserved: '#4b5563',
  admin: '#9ca3af',
  unassigned: '#ffffff',
  free: '#ecfdf5',
  over: '#dc2626',
  line: '#111827',
  text: '#111827',
  muted: '#4b5563',
};
const DIRECT_COLORS = ['#f59e0b', '#d97706', '#fbbf24', '#b45309'];
const PROXY_COLORS = ['#2563eb', '#0891b2', '#7c3aed', '#0d9488', '#4f46e5', '#0284c7', '#9333ea', '#059669'];

interface Segment {
  readonly label: string;
  readonly value: number;
  readonly fill: string;
  readonly textColor?: string;
  readonly dashed?: boolean;
}

/**
 * Renders the budget as a standalone SVG document.
 *
 * @param input the budget (a `BudgetPlan` will do)
 * @param title what the budget belongs to, shown in the heading
 */
export function renderBudgetSvg(input: BudgetPictureInput, title: string): string {
  const direct = input.allocations.filter(a => a.path !== 'PROXY');
  const proxied = input.allocations.filter(a => a.path === 'PROXY');
  const pool = input.proxyConnectionLimit;
  const headroom = proxyHeadroomOf(input);
  const allocatable = pool - headroom;
  const colorOf = consumerColors(input.allocations);

  // Bar 1: every slot of the database.
  const used = input.reservedConnections + input.adminHeadroom + input.directConnections + pool;
  const unassigned = Math.max(0, input.maxConnections - used);
  const slots: Segment[] = [
    { label: 'engine reserved', value: input.reservedConnections, fill: COLORS.reserved, textColor: '#ffffff' },
    { label: 'admin headroom', value: input.adminHeadroom, fill: COLORS.admin },
    ...direct.map(a => ({ label: a.name, value: a.connections, fill: colorOf(a) })),
    { label: `proxy pool (${input.proxyMaxConnectionsPercent}%)`, value: pool, fill: '#dbeafe' },
    { label: 'not given to the proxy', value: unassigned, fill: COLORS.unassigned, dashed: true },
  ];
  const scale1 = BAR_WIDTH / Math.max(input.maxConnections, used, 1);

  // Bar 2: the proxy pool, enlarged.
  const proxyUsed = proxied.reduce((a, c) => a + c.connections, 0);
  const pooled: Segment[] = [
    ...proxied.map(a => ({ label: a.name, value: a.connections, fill: colorOf(a), textColor: '#ffffff' })),
  ];
  if (proxyUsed < allocatable) {
    pooled.push({ label: 'free to allocate', value: allocatable - proxyUsed, fill: COLORS.free, dashed: true });
  }
  const scale2 = BAR_WIDTH / Math.max(pool, proxyUsed, 1);

  const body: string[] = [];
  const y1 = 78;
  body.push(text(LEFT, 28, `Connection budget of ${title} (${input.engine})`, { size: 17, weight: 'bold' }));
  const source = input.maxConnectionsSource ? ` (${input.maxConnectionsSource})` : '';
  body.push(text(LEFT, 50, `max_connections ${input.maxConnections}${source}`, { color: COLORS.muted }));
  body.push(text(LEFT, y1 - 8, 'Database slots', { weight: 'bold' }));
  const placed1 = drawBar(body, slots, y1, scale1);
  // max_connections marker (differs from the bar's end only when the budget asks for more).
  const mx = LEFT + input.maxConnections * scale1;
  body.push(`<line x1="${fmt(mx)}" y1="${y1 - 6}" x2="${fmt(mx)}" y2="${y1 + BAR_HEIGHT + 6}" stroke="${COLORS.line}" stroke-width="2"/>`);
  const labelsBottom1 = drawScaleLabels(body, slots, placed1, y1);

  const y2 = labelsBottom1 + 64;
  // Lines from the pool in bar 1 to the enlarged bar 2.
  const poolX = placed1[slots.findIndex(s => s.label.startsWith('proxy pool'))];
  body.push(`<path d="M${fmt(poolX.x)},${y1 + BAR_HEIGHT} L${LEFT},${y2} M${fmt(poolX.x + poolX.w)},${y1 + BAR_HEIGHT} ` +
    `L${fmt(LEFT + pool * scale2)},${y2}" stroke="#93c5fd" stroke-dasharray="4 3" fill="none"/>`);
  body.push(text(LEFT, y2 - 30, `Proxy pool: ${pool} connections (MaxConnectionsPercent ${input.proxyMaxConnectionsPercent} of ${input.maxConnections})`,
    { weight: 'bold', halo: true }));
  const placed2 = drawBar(body, pooled, y2, scale2);
  if (proxyUsed > pool) {
    const x = LEFT + pool * scale2;
    body.push(`<rect x="${fmt(x)}" y="${y2}" width="${fmt((proxyUsed - pool) * scale2)}" height="${BAR_HEIGHT}" fill="none" stroke="${COLORS.over}" stroke-width="3"/>`);
  }
  // The headroom is hatched where no consumer sits in it.
  const hatchStart = Math.max(proxyUsed, allocatable);
  if (headroom > 0 && pool > hatchStart) {
    body.push(`<rect x="${fmt(LEFT + hatchStart * scale2)}" y="${y2}" width="${fmt((pool - hatchStart) * scale2)}" height="${BAR_HEIGHT}" ` +
      'fill="url(#hatch)" stroke="#f87171"><title>proxy headroom</title></rect>');
  }
  // The pool's end and, with a headroom, the line consumers must stay left of.
  const px = LEFT + pool * scale2;
  body.push(`<line x1="${fmt(px)}" y1="${y2 - 6}" x2="${fmt(px)}" y2="${y2 + BAR_HEIGHT + 6}" stroke="${COLORS.line}" stroke-width="2"/>`);
  if (headroom > 0) {
    const ax = LEFT + allocatable * scale2;
    body.push(`<line x1="${fmt(ax)}" y1="${y2 - 20}" x2="${fmt(ax)}" y2="${y2 + BAR_HEIGHT + 6}" stroke="${COLORS.over}" stroke-width="2" stroke-dasharray="6 3"/>`);
    const percent = input.proxyHeadroomPercent ?? Math.round((100 * headroom) / Math.max(pool, 1));
    const label = `proxy headroom line: ${allocatable} allocatable, ${headroom} kept free (${percent}%)`;
    const anchorRight = ax > WIDTH / 2;
    body.push(text(anchorRight ? ax - 4 : ax + 4, y2 - 8, label, { color: COLORS.over, anchor: anchorRight ? 'end' : 'start', halo: true }));
  }
  const labelsBottom2 = drawScaleLabels(body, pooled, placed2, y2);
  body.push(text(LEFT, labelsBottom2 + 22,
    `through the proxy: ${proxyUsed} of ${allocatable} allocatable connections given to consumers`,
    { color: proxyUsed > allocatable ? COLORS.over : COLORS.muted }));

  const tableTop = labelsBottom2 + 70;
  drawTable(body, input, tableTop, colorOf);
  let bottom = tableTop + ROW_HEIGHT * ((input.allocations.length || 1) + 1);
  if (input.problems.length > 0) {
    bottom += 24;
    body.push(text(LEFT, bottom, 'Problems', { weight: 'bold', color: COLORS.over }));
    for (const problem of input.problems) {
      wrap(problem, 125).forEach((line, j) => {
        bottom += ROW_HEIGHT - 4;
        body.push(text(LEFT, bottom, (j === 0 ? '- ' : '  ') + line, { color: COLORS.over }));
      });
    }
  }
  const height = bottom + 24;

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      'font-family="Helvetica, Arial, sans-serif" font-size="12">',
    `<title>${escape(`Connection budget of ${title}`)}</title>`,
    '<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="8" height="8" fill="#fee2e2"/><line x1="0" y1="0" x2="0" y2="8" stroke="#f87171" stroke-width="3"/></pattern></defs>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
  ];
  return out.join('\n') + '\n';
}

/** The headroom the plan states, or the one its percent implies (before plans carried it). */
function proxyHeadroomOf(input: BudgetPictureInput): number {
  if (input.proxyHeadroom !== undefined) {
    return input.proxyHeadroom;
  }
  if (input.proxyHeadroomPercent !== undefined) {
    return input.proxyConnectionLimit - Math.floor((input.proxyConnectionLimit * (100 - input.proxyHeadroomPercent)) / 100);
  }
  return 0;
}

function consumerColors(consumers: readonly BudgetPictureConsumer[]): (c: BudgetPictureConsumer) => string {
  const colors = new Map<BudgetPictureConsumer, string>();
  let d = 0;
  let p = 0;
  for (const c of consumers) {
    colors.set(c, c.path === 'PROXY' ? PROXY_COLORS[p++ % PROXY_COLORS.length] : DIRECT_COLORS[d++ % DIRECT_COLORS.length]);
  }
  return c => colors.get(c) ?? COLORS.admin;
}

function drawBar(out: string[], segments: Segment[], y: number, scale: number): Array<{ x: number; w: number }> {
  let x = LEFT;
  const placed: Array<{ x: number; w: number }> = [];
  for (const s of segments) {
    const w = Math.max(0, s.value) * scale;
    placed.push({ x, w });
    if (w > 0) {
      const stroke = s.dashed ? ' stroke="#6b7280" stroke-dasharray="4 3"' : ' stroke="#ffffff"';
      out.push(`<rect x="${fmt(x)}" y="${y}" width="${fmt(w)}" height="${BAR_HEIGHT}" fill="${s.fill}"${stroke}><title>${escape(`${s.label}: ${s.value}`)}</title></rect>`);
      const inside = `${s.label} ${s.value}`;
      if (fits(inside, w)) {
        out.push(text(x + w / 2, y + BAR_HEIGHT / 2 + 4, inside, { anchor: 'middle', color: s.textColor ?? COLORS.text }));
      } else if (fits(String(s.value), w)) {
        out.push(text(x + w / 2, y + BAR_HEIGHT / 2 + 4, String(s.value), { anchor: 'middle', color: s.textColor ?? COLORS.text }));
      }
    }
    x += w;
  }
  return placed;
}

/** Labels of segments too narrow for their name, staggered below the bar with a leader line. */
function drawScaleLabels(out: string[], segments: Segment[], placed: Array<{ x: number; w: number }>, y: number): number {
  let row = 0;
  let bottom = y + BAR_HEIGHT;
  let lastEnd = -Infinity;
  segments.forEach((s, i) => {
    const { x, w } = placed[i];
    if (w <= 0 || fits(`${s.label} ${s.value}`, w)) {
      return;
    }
    const cx = x + w / 2;
    const label = `${s.label}: ${s.value}`;
    row = cx - 4 < lastEnd ? row + 1 : 0;
    const ly = y + BAR_HEIGHT + 16 + row * 14;
    bottom = Math.max(bottom, ly);
    const anchorRight = cx > WIDTH * 0.7;
    out.push(`<line x1="${fmt(cx)}" y1="${y + BAR_HEIGHT}" x2="${fmt(cx)}" y2="${ly - 10}" stroke="#9ca3af"/>`);
    out.push(text(anchorRight ? cx + 3 : cx - 3, ly, label, { anchor: anchorRight ? 'end' : 'start', color: COLORS.muted, size: 11, halo: true }));
    lastEnd = anchorRight ? cx : cx + label.length * CHAR_WIDTH;
  });
  return bottom;
}

function drawTable(out: string[], input: BudgetPictureInput, top: number, colorOf: (c: BudgetPictureConsumer) => string): void {
  // x of each column; numbers are right-aligned on it.
  const columns = [
    { x: LEFT + 22, anchor: 'start' }, { x: LEFT + 520, anchor: 'start' }, { x: LEFT + 700, anchor: 'end' },
    { x: LEFT + 790, anchor: 'end' }, { x: LEFT + BAR_WIDTH, anchor: 'end' },
  ];
  const header = ['consumer', 'path', 'reserved concurrency', 'x conn/env', '= connections'];
  out.push(text(LEFT, top - 10, 'Consumers', { weight: 'bold' }));
  header.forEach((h, i) => out.push(text(columns[i].x, top + 12, h, { weight: 'bold', anchor: columns[i].anchor, color: COLORS.muted })));
  out.push(`<line x1="${LEFT}" y1="${top + 18}" x2="${LEFT + BAR_WIDTH}" y2="${top + 18}" stroke="#d1d5db"/>`);
  if (input.allocations.length === 0) {
    out.push(text(columns[0].x, top + 12 + ROW_HEIGHT, '(no consumers yet)', { color: COLORS.muted }));
  }
  input.allocations.forEach((a, i) => {
    const y = top + 12 + (i + 1) * ROW_HEIGHT;
    out.push(`<rect x="${LEFT}" y="${y - 11}" width="14" height="14" fill="${colorOf(a)}"/>`);
    const cells = [
      truncate(a.name, 76),
      a.path === 'PROXY' ? 'proxy' : 'direct',
      a.reservedConcurrency === undefined ? '-' : String(a.reservedConcurrency),
      a.connectionsPerInvocation === undefined ? '-' : String(a.connectionsPerInvocation),
      String(a.connections),
    ];
    cells.forEach((c, j) => out.push(text(columns[j].x, y, c, { anchor: columns[j].anchor })));
  });
}

interface TextOptions {
  readonly size?: number;
  readonly weight?: string;
  readonly color?: string;
  readonly anchor?: string;
  /** A white outline, so lines drawn earlier never cross the text. */
  readonly halo?: boolean;
}

function text(x: number, y: number, content: string, options: TextOptions = {}): string {
  const attributes = [
    `x="${fmt(x)}"`, `y="${fmt(y)}"`,
    options.size ? `font-size="${options.size}"` : '',
    options.weight ? `font-weight="${options.weight}"` : '',
    `fill="${options.color ?? COLORS.text}"`,
    options.anchor ? `text-anchor="${options.anchor}"` : '',
    options.halo ? 'stroke="#ffffff" stroke-width="4" paint-order="stroke"' : '',
  ].filter(Boolean).join(' ');
  return `<text ${attributes}>${escape(content)}</text>`;
}

function fits(content: string, width: number): boolean {
  return content.length * CHAR_WIDTH + 8 <= width;
}

function truncate(content: string, length: number): string {
  return content.length <= length ? content : `...${content.slice(content.length - length + 3)}`;
}

function wrap(content: string, length: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of content.split(/\s+/)) {
    if (line && line.length + word.length + 1 > length) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) {
    lines.push(line);
  }
  return lines;
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function escape(content: string): string {
  return content.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
