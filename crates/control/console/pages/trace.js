// Decision Trace search: decisions by agent, tool, result and text, newest
// first, with "older" paging; a row opens the record.
import { h, replace, field, emptyState } from '../dom.js';
import { get, query } from '../api.js';
import { pageHeader } from '../shell.js';
import { verdictBadge, dateTime, toolName } from '../format.js';

export function render(main) {
  const agent = h('input', { placeholder: 'any agent', testid: 'trace-agent' });
  const tool = h('input', { placeholder: 'tool or upstream.tool', testid: 'trace-tool' });
  const verdict = h('select', { testid: 'trace-verdict' },
    h('option', { value: '' }, 'Any result'), h('option', { value: 'allow' }, 'Allow'),
    h('option', { value: 'deny' }, 'Deny'), h('option', { value: 'intercept' }, 'Intercept'));
  const text = h('input', { type: 'search', placeholder: 'words in a tool, agent or reason', testid: 'trace-text' });
  const submit = h('button', { type: 'submit', class: 'button primary', testid: 'trace-search' }, 'Search');
  const form = h('form', { class: 'filters' }, field('Agent', agent), field('Tool', tool), field('Result', verdict), field('Text', text), h('div', { class: 'filters-end' }, submit));
  const results = h('tbody', { testid: 'trace-rows' });
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Older decisions');
  const info = h('p', { class: 'muted small' });
  const table = h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Result'), h('th', {}, 'Tool'), h('th', {}, 'Agent'), h('th', {}, 'Reason'), h('th', {}, 'Seq'))),
    results));
  const empty = h('div', {});
  replace(main, pageHeader('Decision Trace', 'Every decision, recorded before the call went anywhere.'), form, info, table, empty, h('div', { class: 'center' }, more));

  let before = null;
  const run = async (append) => {
    const filter = { agent: agent.value.trim(), tool: tool.value.trim(), verdict: verdict.value, q: text.value.trim(), limit: 50, before: append ? before : null };
    let out;
    try {
      out = await get(`/v1/trace/search${query(filter)}`);
    } catch (err) {
      info.textContent = err.message;
      return;
    }
    if (!append) results.replaceChildren();
    for (const { seq, event } of out.events) {
      const href = `#/trace/${encodeURIComponent(event.decision_id)}`;
      results.append(h('tr', { class: 'clickable', dataset: { href } },
        h('td', { class: 'nowrap muted' }, dateTime(event.time)),
        h('td', {}, verdictBadge(event.verdict)),
        h('td', {}, h('a', { class: 'mono strong', href }, toolName(event.upstream, event.tool))),
        h('td', {}, event.agent.name),
        h('td', { class: 'reason' }, (event.reasons[0] && event.reasons[0].message) || ''),
        h('td', { class: 'mono muted' }, String(seq))));
    }
    before = out.next_before;
    more.hidden = before === null;
    info.textContent = `${results.children.length} decision(s) shown · ${out.scanned} trace events read`;
    replace(empty, results.children.length ? null : emptyState('No matching decisions', 'Try fewer filters.'));
  };
  results.addEventListener('click', (e) => {
    const row = e.target.closest('tr[data-href]');
    if (row && e.target.tagName !== 'A') location.hash = row.dataset.href;
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(false);
  });
  more.addEventListener('click', () => run(true));
  run(false);
}
