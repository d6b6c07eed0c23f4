// Multi-agent workflows: the newest workflows, and for one workflow its
// record, the shared budgets (used / limit), the sensitive reads, its
// revocations and every decision as a graph of the call lineage. Approvers
// can revoke the workflow's root token, which stops every token of it.
import { h, replace, notice, field, actionButton, emptyState } from '../dom.js';
import { get, post } from '../api.js';
import { pageHeader } from '../shell.js';
import { statusBadge, dateTime, timeLeft, toDate, plural } from '../format.js';
import { workflowGraph, layout } from './workflow_graph.js';

export function render(main, ctx, id) {
  return id ? renderOne(main, ctx, id) : renderList(main);
}

function expiry(value) {
  const d = toDate(value);
  return d && d.getTime() <= Date.now() ? statusBadge('expired') : h('span', { title: dateTime(value) }, timeLeft(value));
}

function renderList(main) {
  const status = notice();
  const table = h('div', { class: 'table-wrap' });
  replace(main, pageHeader('Workflows', 'Pipelines of agents working under one delegated token and shared budgets.'), status, table);
  const load = async () => {
    let workflows;
    try {
      workflows = (await get('/v1/workflows?limit=100')).workflows;
    } catch (err) {
      status.show('error', err.message);
      return;
    }
    status.hide();
    if (!workflows.length) {
      replace(table, emptyState('No workflows yet', 'An agent starts one with `POST /workflows` or from MCP `_meta`.'));
      return;
    }
    replace(table, h('table', { class: 'table', testid: 'workflows-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Workflow'), h('th', {}, 'Purpose'), h('th', {}, 'Started by'), h('th', {}, 'Created'), h('th', {}, 'Expires'))),
      h('tbody', {}, workflows.map((w) => {
        const href = `#/workflows/${encodeURIComponent(w.id)}`;
        return h('tr', { class: 'clickable', dataset: { workflow: w.id, href } },
          h('td', {}, h('a', { class: 'mono strong', href }, w.id)),
          h('td', {}, w.purpose),
          h('td', {}, w.started_by),
          h('td', { class: 'nowrap muted' }, dateTime(w.created_at)),
          h('td', { class: 'nowrap' }, expiry(w.expires_at)));
      }))));
  };
  table.addEventListener('click', (e) => {
    const row = e.target.closest('tr[data-href]');
    if (row && e.target.tagName !== 'A') location.hash = row.dataset.href;
  });
  load();
  const timer = setInterval(load, 10000);
  return () => clearInterval(timer);
}

const back = () => h('a', { class: 'back', href: '#/workflows' }, '← Workflows');

function renderOne(main, ctx, id) {
  const status = notice();
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replace(main, back(), status, body);
  const load = async () => {
    let out;
    try {
      out = await get(`/v1/workflows/${encodeURIComponent(id)}`);
    } catch (err) {
      replace(body, pageHeader('Workflow', id), h('div', { class: 'notice notice-error' }, err.message));
      return;
    }
    const w = out.workflow;
    const revoked = (out.revocations || []).find((r) => r.revocation_id === w.root_revocation_id);
    const refresh = h('button', { type: 'button', class: 'button', testid: 'wf-refresh', onclick: () => load() }, 'Refresh');
    replace(body,
      pageHeader(w.purpose || 'Workflow', `Workflow ${w.id}`, revoked ? statusBadge('revoked') : statusBadge('active'), refresh),
      facts(w),
      h('div', { class: 'wf-panels' }, budgetsPanel(out.ledger, w), readsPanel(out.ledger)),
      graphPanel(out.decisions || [], out.truncated),
      revocationsPanel(out.revocations || []),
      ctx.can('approver') && !revoked ? revokeForm(w, status, load, ctx) : null);
  };
  load();
}

function facts(w) {
  const scope = w.scope || {};
  const list = (items) => (items && items.length ? items.map((t) => h('span', { class: 'label' }, t)) : '—');
  return h('section', { class: 'panel' },
    h('dl', { class: 'facts', testid: 'wf-facts' },
      h('dt', {}, 'Started by'), h('dd', {}, w.started_by),
      h('dt', {}, 'Created'), h('dd', {}, dateTime(w.created_at)),
      h('dt', {}, 'Expires'), h('dd', {}, dateTime(w.expires_at), ' ', expiry(w.expires_at)),
      h('dt', {}, 'Depth limit'), h('dd', {}, String(w.max_depth)),
      h('dt', {}, 'Tools'), h('dd', {}, list(scope.tools)),
      h('dt', {}, 'Resources'), h('dd', {}, list(scope.resources)),
      h('dt', {}, 'Flags'), h('dd', {}, list(scope.flags))));
}

function budgetsPanel(ledger, w) {
  const limits = w.budgets || {};
  const budgets = (ledger && ledger.budgets) || {};
  const limitOf = (n) => (budgets[n] && budgets[n].limit !== null && budgets[n].limit !== undefined ? budgets[n].limit : limits[n] ?? null);
  const usedOf = (n) => (budgets[n] && budgets[n].used) || 0;
  const names = [...new Set([...Object.keys(limits), ...Object.keys(budgets)])]
    .filter((n) => limitOf(n) !== null || usedOf(n) > 0);
  const rows = names.map((n) => {
    const used = usedOf(n);
    const limit = limitOf(n);
    const full = limit !== null && used >= limit;
    const pct = limit ? Math.min(100, Math.round((used / limit) * 100)) : 0;
    return h('tr', { dataset: { counter: n, used, limit: limit ?? '' } },
      h('td', { class: 'mono' }, n.replace(/_/g, ' ')),
      h('td', { class: `nowrap ${full ? 'strong wf-full' : ''}` }, `${used} / ${limit ?? '∞'}`),
      h('td', { class: 'wf-meter-cell' }, limit ? h('meter', { min: 0, max: 100, value: pct, class: 'wf-meter' }) : h('span', { class: 'muted small' }, 'no limit')));
  });
  return h('section', { class: 'panel' }, h('h2', {}, 'Shared budgets'),
    rows.length
      ? h('table', { class: 'table', testid: 'wf-budgets' }, h('tbody', {}, rows))
      : h('p', { class: 'muted' }, ledger ? 'Nothing charged and no limit set.' : 'No call has been charged to this workflow yet.'));
}

function readsPanel(ledger) {
  const reads = (ledger && ledger.sensitive_reads) || [];
  return h('section', { class: 'panel' }, h('h2', {}, 'Sensitive reads'),
    reads.length
      ? h('ul', { class: 'reasons', testid: 'wf-reads' }, reads.map((r) => h('li', {},
        h('span', { class: 'reason-source' }, r.label),
        h('span', {}, h('span', { class: 'strong' }, r.agent), ' read ', h('span', { class: 'mono' }, r.resource),
          h('span', { class: 'muted small' }, ` · ${dateTime(r.at)}`)))))
      : h('p', { class: 'muted', testid: 'wf-reads' }, 'No agent of this workflow has read data classified sensitive.'));
}

function graphPanel(decisions, truncated) {
  const count = layout(decisions).nodes.length;
  return h('section', { class: 'panel' },
    h('div', { class: 'panel-head' }, h('h2', {}, 'Decisions'), h('span', { class: 'muted small' }, plural(count, 'decision'))),
    truncated ? h('div', { class: 'notice notice-info' }, 'The trace was read only in part: older or later decisions may be missing.') : null,
    count
      ? [h('div', { class: 'wf-graph-wrap' }, workflowGraph(decisions)),
        h('p', { class: 'muted small' }, 'Each column is one step of the call lineage: a decision sits right of the decision whose traceparent it carried. Hover a decision for its reasons; click it for its trace record.')]
      : emptyState('No decisions yet', 'Calls presenting this workflow\'s tokens appear here.'));
}

function revocationsPanel(revocations) {
  if (!revocations.length) return null;
  return h('section', { class: 'panel' }, h('h2', {}, 'Revocations'),
    h('ul', { class: 'reasons', testid: 'wf-revocations' }, revocations.map((r) => h('li', {},
      h('span', { class: 'mono muted', title: r.revocation_id }, `${r.revocation_id.slice(0, 12)}…`),
      h('span', {}, `${r.reason || 'no reason given'} · by ${r.operator} · ${dateTime(r.revoked_at)}`)))));
}

function revokeForm(w, status, reload, ctx) {
  const reason = h('input', { placeholder: 'Why stop this workflow?', testid: 'wf-revoke-reason' });
  const button = actionButton('Revoke workflow', { class: 'button danger', testid: 'wf-revoke' }, async () => {
    if (!reason.value.trim()) {
      status.show('error', 'Give a reason: it is recorded in the trace.');
      return;
    }
    if (!window.confirm(`Revoke workflow ${w.id}? Every token of it stops working at once.`)) return;
    try {
      await post(`/v1/workflows/${encodeURIComponent(w.id)}/revoke`, { reason: reason.value.trim() });
      status.show('ok', 'Revoked: every token of this workflow is refused from now on.');
      reload();
      if (ctx.refreshShell) ctx.refreshShell();
    } catch (err) {
      status.show('error', err.message);
    }
  });
  return h('section', { class: 'panel' }, h('h2', {}, 'Revoke'),
    h('p', { class: 'muted small' }, 'Revoking the root token invalidates everything delegated from it. To pause the workflow instead, engage a kill switch with scope workflow.'),
    h('div', { class: 'form-row' }, field('Reason', reason), button));
}
