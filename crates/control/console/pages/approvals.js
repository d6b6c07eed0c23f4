// The approvals inbox: held calls waiting for a person (refreshed every two
// seconds), decided ones by status, and the standing grants that approvals
// for a scope created.
import { h, replace, emptyState, actionButton, notice } from '../dom.js';
import { get, del } from '../api.js';
import { pageHeader } from '../shell.js';
import { statusBadge, timeAgo, timeLeft, toolName, dateTime } from '../format.js';

const TABS = ['pending', 'approved', 'rejected', 'expired', 'all'];

export function render(main, ctx) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  let status = TABS.includes(params.get('status')) ? params.get('status') : 'pending';
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const list = h('div', { class: 'inbox', testid: 'approvals-list' });
  const grants = h('div', { class: 'panel' });
  replace(main, pageHeader('Approvals', 'Calls held until a person decides. Open one to see everything the agent asked for.'), tabs, list, grants);

  const drawTabs = () => replace(tabs, TABS.map((t) => {
    const b = h('button', { type: 'button', role: 'tab', class: `tab ${t === status ? 'active' : ''}`, 'aria-selected': t === status ? 'true' : 'false', testid: `tab-${t}` },
      t[0].toUpperCase() + t.slice(1));
    b.addEventListener('click', () => {
      status = t;
      drawTabs();
      load();
    });
    return b;
  }));

  const load = async () => {
    let approvals;
    try {
      approvals = (await get(`/v1/approvals?status=${status}&limit=200`)).approvals;
    } catch (err) {
      replace(list, h('div', { class: 'notice notice-error' }, err.message));
      return;
    }
    if (!approvals.length) {
      replace(list, status === 'pending'
        ? emptyState('Nothing is waiting for you', 'Intercepted calls appear here the moment an agent makes them.')
        : emptyState(`No ${status === 'all' ? '' : status} approvals`));
      return;
    }
    replace(list, approvals.map((a) => item(a)));
  };

  const loadGrants = async () => {
    let found;
    try {
      found = (await get('/v1/grants')).grants;
    } catch (err) {
      replace(grants, h('div', { class: 'panel-head' }, h('h2', {}, 'Standing grants')), h('p', { class: 'muted' }, err.status === 404 ? 'Scoped grants are not available on this gateway.' : err.message));
      return;
    }
    const status = notice();
    replace(grants,
      h('div', { class: 'panel-head' }, h('h2', {}, 'Standing grants'), h('span', { class: 'muted' }, 'Created by “approve for a scope”')),
      status,
      found.length
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'grants' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Agent'), h('th', {}, 'Tool'), h('th', {}, 'Argument pattern'), h('th', {}, 'Expires'), h('th', {}, 'Granted by'), h('th', {}))),
          h('tbody', {}, found.map((g) => h('tr', {},
            h('td', {}, g.agent_name),
            h('td', { class: 'mono' }, toolName(g.upstream, g.tool)),
            h('td', { class: 'mono' }, g.argument_pattern || 'any arguments'),
            h('td', {}, dateTime(g.expires_at)),
            h('td', {}, g.created_by),
            h('td', { class: 'right' }, ctx.can('approver') ? actionButton('Revoke', { class: 'button small danger-outline' }, async () => {
              try {
                await del(`/v1/grants/${encodeURIComponent(g.id)}`);
                loadGrants();
              } catch (err) {
                status.show('error', err.message);
              }
            }) : null))))))
        : h('p', { class: 'muted' }, 'No standing grants.'));
  };

  drawTabs();
  load();
  loadGrants();
  const timer = setInterval(() => {
    load();
  }, 2000);
  return () => clearInterval(timer);
}

function item(a) {
  const votes = a.rule && a.rule.required_approvals > 1
    ? `${(a.votes || []).filter((v) => v.action === 'approve').length} of ${a.rule.required_approvals} approvals`
    : null;
  const reason = (a.reasons && a.reasons[0] && a.reasons[0].message) || '';
  return h('a', { class: `inbox-item status-${a.status}`, href: `#/approvals/${encodeURIComponent(a.id)}`, testid: 'approval-item', dataset: { id: a.id, tool: a.tool } },
    h('div', { class: 'inbox-main' },
      h('div', { class: 'inbox-title' }, h('span', { class: 'mono strong' }, toolName(a.upstream, a.tool)), statusBadge(a.status), a.escalated ? statusBadge('pending', 'escalated') : null),
      h('div', { class: 'inbox-meta' },
        h('span', {}, `Agent ${a.agent_name}`),
        a.agent_owner ? h('span', {}, `owner ${a.agent_owner}`) : null,
        votes ? h('span', {}, votes) : null),
      reason ? h('div', { class: 'inbox-reason' }, reason) : null),
    h('div', { class: 'inbox-side' },
      h('div', { class: 'muted' }, timeAgo(a.created_at)),
      a.status === 'pending' ? h('div', { class: 'countdown' }, timeLeft(a.expires_at)) : h('div', { class: 'muted' }, a.decided_by ? `by ${a.decided_by}` : '')));
}
