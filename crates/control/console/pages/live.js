// Live decisions: the latest decisions, then every new one as it happens
// (Server-Sent Events from /v1/trace/stream), filtered by agent, tool and
// verdict on the server; approvals and outcomes update their decision's row.
import { h, replace, field, emptyState } from '../dom.js';
import { get, query } from '../api.js';
import { pageHeader } from '../shell.js';
import { verdictBadge, statusBadge, clock, toolName } from '../format.js';

const MAX_ROWS = 300;

export function render(main) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const agent = h('input', { placeholder: 'any agent', value: params.get('agent') || '', testid: 'live-agent' });
  const tool = h('input', { placeholder: 'any tool', value: params.get('tool') || '', testid: 'live-tool' });
  const verdict = h('select', { testid: 'live-verdict' },
    h('option', { value: '' }, 'Any result'),
    h('option', { value: 'allow' }, 'Allow'),
    h('option', { value: 'deny' }, 'Deny'),
    h('option', { value: 'intercept' }, 'Intercept'));
  verdict.value = params.get('verdict') || '';
  const state = h('span', { class: 'stream-state', testid: 'live-state' }, 'Connecting…');
  const pause = h('button', { type: 'button', class: 'button' }, 'Pause');
  const body = h('tbody', { testid: 'live-rows' });
  const empty = emptyState('Waiting for decisions', 'New decisions appear here the moment they are made.');
  const table = h('div', { class: 'table-wrap' },
    h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Result'), h('th', {}, 'Tool'), h('th', {}, 'Agent'), h('th', {}, 'Reason'), h('th', {}, 'Outcome'))),
      body));
  const filters = h('form', { class: 'filters' },
    field('Agent', agent), field('Tool', tool), field('Result', verdict),
    h('div', { class: 'filters-end' }, state, pause));
  replace(main, pageHeader('Live decisions', 'Every call your agents make, as it is decided.'), filters, table, empty);

  let source = null;
  let paused = false;
  let held = [];
  const rows = new Map();
  const outcomeCells = new Map();

  const addDecision = (seq, event, atTop) => {
    if (rows.has(event.decision_id)) return;
    const outcome = h('td', {}, event.verdict === 'intercept' ? statusBadge('pending', 'awaiting approval') : '—');
    const reason = (event.reasons && event.reasons[0] && event.reasons[0].message) || '';
    const href = event.approval_id && event.verdict === 'intercept' ? `#/approvals/${event.approval_id}` : `#/trace/${encodeURIComponent(event.decision_id)}`;
    const tr = h('tr', { class: `row-${event.verdict}`, dataset: { verdict: event.verdict, agent: event.agent.name, tool: event.tool } },
      h('td', { class: 'mono muted' }, clock(event.time)),
      h('td', {}, verdictBadge(event.verdict)),
      h('td', {}, h('a', { class: 'mono strong', href }, toolName(event.upstream, event.tool))),
      h('td', {}, event.agent.name),
      h('td', { class: 'reason' }, reason),
      outcome);
    rows.set(event.decision_id, tr);
    outcomeCells.set(event.decision_id, outcome);
    if (atTop) body.prepend(tr);
    else body.append(tr);
    while (body.children.length > MAX_ROWS) {
      const last = body.lastElementChild;
      rows.delete([...rows.entries()].find(([, r]) => r === last)?.[0]);
      last.remove();
    }
    empty.hidden = body.children.length > 0;
  };

  const updateOutcome = (event) => {
    const cell = outcomeCells.get(event.decision_id);
    if (!cell) return;
    if (event.kind === 'approval') replace(cell, statusBadge(event.action, `${event.action}${event.operator ? ` by ${event.operator}` : ''}`));
    else if (event.kind === 'outcome') replace(cell, statusBadge(event.status, event.status.replace('_', ' ')));
  };

  const onEvent = (seq, event) => {
    if (event.kind === 'decision') addDecision(seq, event, true);
    else updateOutcome(event);
  };

  const connect = async () => {
    if (source) source.close();
    body.replaceChildren();
    rows.clear();
    outcomeCells.clear();
    const filter = { agent: agent.value.trim(), tool: tool.value.trim(), verdict: verdict.value };
    let after = 0;
    try {
      const backlog = await get(`/v1/trace/search${query({ ...filter, limit: 50 })}`);
      for (const { seq, event } of backlog.events) addDecision(seq, event, false);
      const latest = await get('/v1/overview');
      after = latest.trace_latest_seq || 0;
    } catch (err) {
      state.textContent = err.message;
    }
    empty.hidden = body.children.length > 0;
    source = new EventSource(`/v1/trace/stream${query({ ...filter, after })}`);
    source.addEventListener('open', () => {
      state.textContent = 'Live';
      state.className = 'stream-state live';
    });
    source.addEventListener('error', () => {
      state.textContent = 'Reconnecting…';
      state.className = 'stream-state';
    });
    source.addEventListener('end', () => source.close());
    source.addEventListener('trace', (message) => {
      const { seq, event } = JSON.parse(message.data);
      if (paused) held.push([seq, event]);
      else onEvent(seq, event);
    });
  };

  let debounce = null;
  const restart = () => {
    clearTimeout(debounce);
    debounce = setTimeout(connect, 300);
  };
  agent.addEventListener('input', restart);
  tool.addEventListener('input', restart);
  verdict.addEventListener('change', restart);
  filters.addEventListener('submit', (e) => e.preventDefault());
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    state.textContent = paused ? 'Paused' : 'Live';
    if (!paused) {
      for (const [seq, event] of held) onEvent(seq, event);
      held = [];
    }
  });
  connect();
  return () => {
    clearTimeout(debounce);
    if (source) source.close();
  };
}
