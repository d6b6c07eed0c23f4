// One Decision Trace record: the decision (identity, tool, redacted
// arguments, verdict, reasons, policy revision) and everything that
// followed it (approval votes and decisions, the outcome), in order.
import { h, replace } from '../dom.js';
import { get } from '../api.js';
import { pageHeader } from '../shell.js';
import { verdictBadge, statusBadge, dateTime, json, toolName } from '../format.js';

export function render(main, ctx, decisionId) {
  replace(main, h('a', { class: 'back', href: '#/trace' }, '← Decision Trace'), h('p', { class: 'muted' }, 'Loading…'));
  (async () => {
    let out;
    try {
      out = await get(`/v1/trace/${encodeURIComponent(decisionId)}`);
    } catch (err) {
      replace(main, h('a', { class: 'back', href: '#/trace' }, '← Decision Trace'), pageHeader('Trace record'), h('div', { class: 'notice notice-error' }, err.message));
      return;
    }
    const events = out.events.map((e) => ({ seq: e.seq, ...e.event }));
    const decision = events.find((e) => e.kind === 'decision');
    const parts = [h('a', { class: 'back', href: '#/trace' }, '← Decision Trace')];
    if (decision) {
      parts.push(pageHeader(toolName(decision.upstream, decision.tool), `Decision ${decisionId}`, verdictBadge(decision.verdict)));
      parts.push(h('section', { class: 'panel' },
        h('dl', { class: 'facts', testid: 'record-facts' },
          h('dt', {}, 'Agent'), h('dd', {}, `${decision.agent.name} (role ${decision.agent.role})`),
          h('dt', {}, 'Owner'), h('dd', {}, decision.agent.owner || '—'),
          h('dt', {}, 'Method'), h('dd', {}, decision.method),
          h('dt', {}, 'Time'), h('dd', {}, dateTime(decision.time)),
          h('dt', {}, 'Policy revision'), h('dd', { class: 'mono' }, decision.policy_revision),
          h('dt', {}, 'Evaluation'), h('dd', {}, `${decision.eval_micros} µs`),
          decision.session_id ? [h('dt', {}, 'Session'), h('dd', { class: 'mono' }, decision.session_id)] : null,
          decision.approval_id ? [h('dt', {}, 'Approval'), h('dd', {}, h('a', { href: `#/approvals/${decision.approval_id}`, class: 'mono' }, decision.approval_id))] : null)));
      parts.push(h('section', { class: 'panel' }, h('h2', {}, 'Reasons'),
        h('ul', { class: 'reasons' }, decision.reasons.map((r) => h('li', {}, h('span', { class: 'reason-source' }, r.source || 'policy'), h('span', {}, r.message))))));
      parts.push(h('section', { class: 'panel' }, h('h2', {}, 'Arguments'), json(decision.arguments)));
    } else {
      parts.push(pageHeader('Trace record', decisionId));
    }
    parts.push(h('section', { class: 'panel' }, h('h2', {}, 'Timeline'),
      h('ol', { class: 'timeline', testid: 'timeline' }, events.map((e) => h('li', {},
        h('span', { class: 'mono muted' }, `#${e.seq}`), ' ',
        h('span', { class: 'muted' }, dateTime(e.time)), ' ',
        describe(e))))));
    replace(main, ...parts);
  })();
}

function describe(e) {
  switch (e.kind) {
    case 'decision':
      return [verdictBadge(e.verdict), ` decided by policy`];
    case 'approval':
      return [statusBadge(e.action), e.operator ? ` by ${e.operator}` : '', e.reason ? ` — ${e.reason}` : '', e.detail ? json(e.detail) : null];
    case 'outcome':
      return [statusBadge(e.status, e.status.replace('_', ' ')), e.latency_ms !== undefined ? ` in ${e.latency_ms.toFixed(1)} ms` : '', e.reason ? ` — ${e.reason}` : '', e.error ? ` — ${e.error}` : ''];
    default:
      return [statusBadge('muted', e.kind), e.action ? ` ${e.action}` : '', e.operator ? ` by ${e.operator}` : ''];
  }
}
