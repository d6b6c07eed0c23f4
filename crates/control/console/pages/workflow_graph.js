// A workflow's decisions as a graph (SVG): one node per decision, an edge
// from each decision to the decisions that carried its traceparent. Each
// level of the lineage is a column; leaves take one row each and a parent
// sits level with the middle of its children. Every text goes in as a text
// node, so agent names, tools and reasons cannot inject markup.

const NS = 'http://www.w3.org/2000/svg';
const NODE_W = 250;
const NODE_H = 96;
const COL_GAP = 70;
const ROW_GAP = 18;
const PAD = 14;
const VERDICT_LABEL = { allow: 'Allow', deny: 'Deny', intercept: 'Intercept' };

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function clip(text, max) {
  const s = String(text ?? '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/// Places every decision of the forest: `{nodes: [{node, level, row, parent}], edges, rows, levels}`.
export function layout(forest) {
  const nodes = [];
  const edges = [];
  let rows = 0;
  let levels = 0;
  const place = (node, level, parent) => {
    const item = { node, level, row: 0, parent };
    nodes.push(item);
    levels = Math.max(levels, level + 1);
    if (parent) edges.push([parent, item]);
    const kids = Array.isArray(node.children) ? node.children.filter((k) => k && typeof k === 'object') : [];
    if (!kids.length) {
      item.row = rows;
      rows += 1;
    } else {
      const placed = kids.map((k) => place(k, level + 1, item));
      item.row = (placed[0].row + placed[placed.length - 1].row) / 2;
    }
    return item;
  };
  for (const root of forest) place(root, 0, null);
  return { nodes, edges, rows, levels };
}

const x = (item) => PAD + item.level * (NODE_W + COL_GAP);
const y = (item) => PAD + item.row * (NODE_H + ROW_GAP);

function describe(d) {
  const lines = [
    `${d.agent} (role ${d.role})`,
    d.tool,
    `${VERDICT_LABEL[d.verdict] || d.verdict} → ${d.outcome || 'no outcome recorded'}`,
    `delegation depth ${d.depth ?? '—'} · chain ${(d.chain || []).join(' → ') || '—'}`,
    ...(d.reasons || []).map((r) => `reason: ${r}`),
    ...(d.approvals || []).map((a) => `approval: ${a.action}${a.operator ? ` by ${a.operator}` : ''}`),
    `decision ${d.decision_id} · seq ${d.seq} · ${d.time || ''}`,
  ];
  return lines.join('\n');
}

function nodeElement(item) {
  const d = item.node;
  const verdict = VERDICT_LABEL[d.verdict] ? d.verdict : 'none';
  const left = x(item);
  const top = y(item);
  const reason = d.verdict !== 'allow' && d.reasons && d.reasons[0] ? d.reasons[0] : null;
  const status = `${VERDICT_LABEL[d.verdict] || d.verdict || '—'} → ${(d.outcome || 'pending').replace(/_/g, ' ')}`;
  return svg('g', {
    class: `wf-node wf-node-${verdict}`,
    'data-testid': 'wf-node',
    'data-decision': d.decision_id,
    'data-parent': item.parent ? item.parent.node.decision_id : '',
    'data-agent': d.agent,
    'data-tool': d.tool,
    'data-verdict': d.verdict,
    'data-outcome': d.outcome || '',
    'data-level': item.level,
  },
  svg('a', { href: `#/trace/${encodeURIComponent(d.decision_id)}` },
    svg('title', {}, describe(d)),
    svg('rect', { x: left, y: top, width: NODE_W, height: NODE_H, rx: 9, class: 'wf-box' }),
    svg('rect', { x: left, y: top, width: 5, height: NODE_H, rx: 2, class: 'wf-stripe' }),
    svg('text', { x: left + 16, y: top + 22, class: 'wf-agent' }, clip(d.agent, 28)),
    svg('text', { x: left + 16, y: top + 42, class: 'wf-tool' }, clip(d.tool, 30)),
    svg('text', { x: left + 16, y: top + 63, class: 'wf-status wf-verdict' }, clip(status, 30)),
    reason ? svg('text', { x: left + 16, y: top + 82, class: 'wf-reason' }, clip(reason, 33)) : null));
}

function edgeElement([from, to]) {
  const x1 = x(from) + NODE_W;
  const y1 = y(from) + NODE_H / 2;
  const x2 = x(to) - 4;
  const y2 = y(to) + NODE_H / 2;
  const bend = COL_GAP / 2;
  return svg('path', {
    class: 'wf-edge',
    'data-testid': 'wf-edge',
    'data-from': from.node.decision_id,
    'data-to': to.node.decision_id,
    d: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
    'marker-end': 'url(#wf-arrow)',
  });
}

/// The graph of `forest` (the `decisions` of `GET /v1/workflows/{id}`) as an SVG element.
export function workflowGraph(forest) {
  const { nodes, edges, rows, levels } = layout(forest);
  const width = PAD * 2 + levels * NODE_W + Math.max(0, levels - 1) * COL_GAP;
  const height = PAD * 2 + rows * NODE_H + Math.max(0, rows - 1) * ROW_GAP;
  return svg('svg', {
    class: 'wf-graph',
    'data-testid': 'wf-graph',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `Workflow graph: ${nodes.length} decision(s)`,
  },
  svg('defs', {},
    svg('marker', { id: 'wf-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'wf-arrow' }))),
  edges.map(edgeElement),
  nodes.map(nodeElement));
}
