// Overview: decisions since start by verdict, pending approvals, agents,
// policy and store health, kill switch state and the latest decisions.
import { h, replace, emptyState } from '../dom.js';
import { get } from '../api.js';
import { pageHeader } from '../shell.js';
import { verdictBadge, timeAgo, toolName } from '../format.js';

export function render(main) {
  const cards = h('div', { class: 'cards' });
  const recent = h('div', { class: 'panel' });
  replace(main, pageHeader('Overview', 'What your agents are doing, at a glance.'), cards, recent);

  const load = async () => {
    let o;
    try {
      o = await get('/v1/overview');
    } catch (err) {
      replace(cards, h('div', { class: 'notice notice-error' }, err.message));
      return;
    }
    let switches = null;
    try {
      switches = (await get('/v1/kill')).switches;
    } catch {
      switches = null;
    }
    let sinks = null;
    try {
      sinks = (await get('/v1/sinks')).sinks;
    } catch {
      sinks = null;
    }
    const d = o.decisions_since_start;
    const policyOk = !o.policy.last_error;
    replace(cards,
      card('Allowed', d.allow, 'allow', 'decisions since start'),
      card('Denied', d.deny, 'deny', 'decisions since start'),
      card('Intercepted', d.intercept, 'intercept', 'held for a person'),
      h('a', { class: `card card-link ${o.approvals_pending ? 'card-attention' : ''}`, href: '#/approvals', testid: 'card-pending' },
        h('div', { class: 'card-label' }, 'Pending approvals'),
        h('div', { class: 'card-value' }, String(o.approvals_pending)),
        h('div', { class: 'card-foot' }, `${o.calls_held} call(s) held open`)),
      h('a', { class: 'card card-link', href: '#/agents' },
        h('div', { class: 'card-label' }, 'Agents'),
        h('div', { class: 'card-value' }, String(o.agents.active)),
        h('div', { class: 'card-foot' }, `active of ${o.agents.total} registered`)),
      h('a', { class: `card card-link ${policyOk ? '' : 'card-alert'}`, href: '#/policies' },
        h('div', { class: 'card-label' }, 'Policy'),
        h('div', { class: 'card-value small mono' }, o.policy.revision.slice(0, 12)),
        h('div', { class: 'card-foot' }, policyOk ? `valid · ${o.policy.tests} tests pass` : 'last reload failed')),
      h('a', { class: `card card-link ${switches && switches.length ? 'card-alert' : ''}`, href: '#/kill', testid: 'card-kill' },
        h('div', { class: 'card-label' }, 'Kill switch'),
        h('div', { class: 'card-value small' }, switches === null ? 'unavailable' : switches.length ? `${switches.length} engaged` : 'Off'),
        h('div', { class: 'card-foot' }, `store ${o.store}`)),
      sinkCard(sinks));
  };

  const loadRecent = async () => {
    try {
      const found = await get('/v1/trace/search?limit=12');
      const rows = found.events.map(({ event }) =>
        h('a', { class: 'row-link', href: `#/trace/${encodeURIComponent(event.decision_id)}` },
          verdictBadge(event.verdict),
          h('span', { class: 'mono strong' }, toolName(event.upstream, event.tool)),
          h('span', { class: 'muted' }, event.agent.name),
          h('span', { class: 'muted right' }, timeAgo(event.time))));
      replace(recent, h('div', { class: 'panel-head' }, h('h2', {}, 'Latest decisions'), h('a', { href: '#/live' }, 'Watch live →')),
        rows.length ? h('div', { class: 'rows' }, rows) : emptyState('No decisions yet', 'Decisions appear here as soon as an agent makes a call.'));
    } catch (err) {
      replace(recent, h('div', { class: 'notice notice-error' }, err.message));
    }
  };

  load();
  loadRecent();
  const timer = setInterval(() => {
    load();
    loadRecent();
  }, 4000);
  return () => clearInterval(timer);
}

function card(label, value, kind, foot) {
  return h('div', { class: `card card-${kind}` },
    h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value' }, String(value ?? 0)),
    h('div', { class: 'card-foot' }, foot));
}

// Trace delivery to SIEMs: the backlog of every sink, and whether any is
// failing or had to skip records under its retention limit.
function sinkCard(sinks) {
  if (sinks === null) return card('Trace delivery', 'unavailable', 'muted', 'sink status could not be read');
  if (!sinks.length) return card('Trace delivery', 'No sinks', 'muted', 'the trace stays in the store only');
  const backlog = sinks.reduce((n, s) => n + s.backlog_records, 0);
  const oldest = Math.max(...sinks.map((s) => s.backlog_age_seconds));
  const failing = sinks.filter((s) => s.last_error && s.retrying > 0);
  const dropped = sinks.some((s) => s.retention_exceeded);
  const alert = failing.length || dropped;
  const foot = dropped
    ? 'records skipped under a retention limit'
    : failing.length
      ? `${failing.map((s) => s.name).join(', ')} failing: ${failing[0].last_error}`
      : `${sinks.length} sink(s) · oldest undelivered ${Math.round(oldest)}s`;
  return h('div', { class: `card ${alert ? 'card-alert' : ''}`, testid: 'card-sinks' },
    h('div', { class: 'card-label' }, 'Trace delivery backlog'),
    h('div', { class: 'card-value' }, String(backlog)),
    h('div', { class: 'card-foot' }, foot));
}
