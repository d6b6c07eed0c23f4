// The decision view of one approval: who asks (agent and owner), for what
// (tool and full redacted arguments), why it was held (policy reasons, and
// risk factors, scan findings and the workflow chain when present), the
// approval rule and votes so far; and the decision: approve once, approve
// for a scope, edit the arguments and approve, or deny with a reason.
import { h, replace, notice, field, actionButton } from '../dom.js';
import { get, post } from '../api.js';
import { pageHeader } from '../shell.js';
import { statusBadge, timeLeft, dateTime, json, toolName, plural } from '../format.js';

const TTLS = [[900, '15 minutes'], [3600, '1 hour'], [8 * 3600, '8 hours'], [86400, '24 hours'], [7 * 86400, '7 days']];

export function render(main, ctx, id) {
  const top = h('div', {});
  const actions = h('section', { class: 'panel decide', testid: 'decide' });
  replace(main, h('a', { class: 'back', href: '#/approvals' }, '← Approvals'), top, actions);
  let current = null;
  let actionsBuilt = false;

  const load = async () => {
    try {
      current = (await get(`/v1/approvals/${encodeURIComponent(id)}`)).approval;
    } catch (err) {
      replace(top, pageHeader('Approval'), h('div', { class: 'notice notice-error' }, err.message));
      actions.hidden = true;
      return;
    }
    drawTop(top, current);
    if (current.status !== 'pending') {
      // Keep the outcome message of a decision taken here; drop the controls.
      if (actionsBuilt) actions.querySelectorAll('.decide-grid').forEach((el) => el.remove());
      else actions.hidden = true;
    } else if (!actionsBuilt) {
      actionsBuilt = true;
      drawActions(actions, ctx, current, load);
    }
  };
  load();
  const timer = setInterval(() => {
    if (!current || current.status === 'pending') load();
  }, 2000);
  return () => clearInterval(timer);
}

function drawTop(top, a) {
  const rule = a.rule || null;
  const approvals = (a.votes || []).filter((v) => v.action === 'approve').length;
  replace(top,
    pageHeader(toolName(a.upstream, a.tool), `Requested by ${a.agent_name}`,
      statusBadge(a.status), a.status === 'pending' ? h('span', { class: 'countdown', testid: 'countdown' }, timeLeft(a.expires_at)) : null),
    h('section', { class: 'panel' },
      h('dl', { class: 'facts', testid: 'approval-facts' },
        fact('Agent', a.agent_name),
        fact('Owner', a.agent_owner || '—'),
        fact('Tool', toolName(a.upstream, a.tool), 'mono'),
        fact('Method', a.method),
        fact('Requested', dateTime(a.created_at)),
        fact('Expires', dateTime(a.expires_at)),
        fact('Decision', h('a', { href: `#/trace/${encodeURIComponent(a.decision_id)}`, class: 'mono' }, a.decision_id)),
        rule ? fact('Rule', ruleText(rule)) : null,
        rule && rule.required_approvals > 1 ? fact('Votes', `${approvals} of ${rule.required_approvals} approvals`) : null,
        a.decided_by ? fact('Decided by', `${a.decided_by}${a.decided_at ? ` · ${dateTime(a.decided_at)}` : ''}`) : null,
        a.decision_reason ? fact('Decision reason', a.decision_reason) : null)),
    h('section', { class: 'panel' },
      h('h2', {}, 'Why it was held'),
      h('ul', { class: 'reasons', testid: 'reasons' }, (a.reasons || []).map((r) =>
        h('li', {}, h('span', { class: 'reason-source' }, r.source || 'policy'), h('span', {}, r.message))))),
    extra('Risk factors', a.risk, 'factors'),
    extra('Scan findings', a.scan, 'findings'),
    extra('Workflow chain', a.workflow, 'chain'),
    h('section', { class: 'panel' },
      h('h2', {}, 'Arguments'),
      h('p', { class: 'muted small' }, 'As the agent sent them, with secrets redacted.'),
      h('div', { testid: 'arguments' }, json(a.arguments)),
      a.edited_arguments ? [h('h3', {}, 'Edited arguments'), json(a.edited_arguments)] : null),
    a.votes && a.votes.length ? h('section', { class: 'panel' },
      h('h2', {}, 'Votes'),
      h('ul', { class: 'votes' }, a.votes.map((v) => h('li', {},
        statusBadge(v.action === 'approve' ? 'approved' : 'rejected', v.action), ' ',
        h('strong', {}, v.operator), ` · ${dateTime(v.at)}`, v.reason ? ` — ${v.reason}` : '')))) : null);
}

function fact(label, value, cls) {
  return [h('dt', {}, label), h('dd', { class: cls }, value)];
}

function ruleText(rule) {
  const parts = [];
  parts.push(rule.required_approvals > 1 ? `${rule.required_approvals} approvers` : 'one approver');
  if (rule.approvers_group) parts.push(`from group ${rule.approvers_group}`);
  if (rule.timeout_secs) parts.push(`· ${rule.default_outcome || 'deny'} after ${rule.timeout_secs}s without a decision`);
  if (rule.escalate_after_secs) parts.push(`· escalates to ${rule.escalate_to || 'another group'} after ${rule.escalate_after_secs}s`);
  return parts.join(' ');
}

function extra(title, value, listKey) {
  if (!value) return null;
  const items = Array.isArray(value) ? value : Array.isArray(value[listKey]) ? value[listKey] : null;
  const score = typeof value.score === 'number' ? ` · score ${value.score.toFixed(2)}${value.learning ? ' (learning)' : ''}` : '';
  return h('section', { class: 'panel', testid: `extra-${listKey}` },
    h('h2', {}, title + score),
    value.summary ? h('p', { class: 'muted' }, value.summary) : null,
    items ? h('ul', { class: 'reasons' }, items.map((i) => h('li', {}, typeof i === 'string' ? i : describe(i)))) : json(value));
}

function describe(item) {
  const label = item.detail || item.message || item.description || item.name || item.rule || item.tool || '';
  const tag = typeof item.contribution === 'number'
    ? `${item.name} +${item.contribution.toFixed(2)}`
    : item.severity || item.level || item.score || item.kind || '';
  return [tag ? h('span', { class: 'reason-source' }, String(tag)) : null, h('span', {}, label || JSON.stringify(item))];
}

function drawActions(panel, ctx, a, reload) {
  if (!ctx.can('approver')) {
    replace(panel, h('p', { class: 'muted' }, `Your role (${ctx.operator.role}) can see this approval but not decide it.`));
    return;
  }
  const status = notice();
  status.dataset.testid = 'decide-status';
  const done = (message, kind = 'ok') => {
    status.show(kind, message);
    reload();
  };
  const fail = (err) => status.show('error', err.message);
  const outcomeText = (out) => {
    if (out.outcome === 'pending_more_votes') {
      const need = out.approval.rule ? out.approval.rule.required_approvals : 2;
      const have = (out.approval.votes || []).filter((v) => v.action === 'approve').length;
      return `Your approval is recorded: ${have} of ${need}. Waiting for ${plural(need - have, 'more approver')}.`;
    }
    if (out.outcome === 'denied_by_policy') return 'The edited call was evaluated again and policy denies it.';
    return 'Approved. The call has been released to the tool.';
  };

  const approveOnce = actionButton('Approve once', { class: 'button approve', testid: 'approve-once' }, async () => {
    try {
      done(outcomeText(await post(`/v1/approvals/${encodeURIComponent(a.id)}/approve`, {})));
    } catch (err) {
      fail(err);
    }
  });

  const ttl = h('select', { testid: 'scope-ttl' }, TTLS.map(([secs, label]) => h('option', { value: String(secs) }, label)));
  ttl.value = '3600';
  const pattern = h('input', { class: 'mono', placeholder: 'e.g. "to":"[^"]*@example\\.com"', testid: 'scope-pattern' });
  const approveScope = actionButton('Approve for this scope', { class: 'button approve-outline', testid: 'approve-scope' }, async () => {
    const scope = { ttl_secs: Number(ttl.value) };
    if (pattern.value.trim()) {
      try {
        new RegExp(pattern.value.trim());
      } catch {
        status.show('error', 'The argument pattern is not a valid regular expression.');
        return;
      }
      scope.argument_pattern = pattern.value.trim();
    }
    try {
      done(outcomeText(await post(`/v1/approvals/${encodeURIComponent(a.id)}/approve`, { scope })));
    } catch (err) {
      fail(err);
    }
  });

  const editor = h('textarea', { class: 'mono', rows: 8, spellcheck: 'false', testid: 'edit-arguments' }, JSON.stringify(a.edited_arguments || a.arguments, null, 2));
  const approveEdited = actionButton('Approve with these arguments', { class: 'button approve-outline', testid: 'approve-edited' }, async () => {
    let args;
    try {
      args = JSON.parse(editor.value);
    } catch (err) {
      status.show('error', `The arguments are not valid JSON: ${err.message}`);
      return;
    }
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      status.show('error', 'The arguments must be a JSON object.');
      return;
    }
    try {
      done(outcomeText(await post(`/v1/approvals/${encodeURIComponent(a.id)}/approve`, { arguments: args })));
    } catch (err) {
      fail(err);
    }
  });

  const reason = h('textarea', { rows: 2, placeholder: 'Tell the agent why (required)', testid: 'deny-reason' });
  const deny = actionButton('Deny', { class: 'button danger', testid: 'deny', disabled: true }, async () => {
    if (!reason.value.trim()) return;
    try {
      await post(`/v1/approvals/${encodeURIComponent(a.id)}/deny`, { reason: reason.value.trim() });
      done('Denied. The agent received your reason.');
    } catch (err) {
      fail(err);
    }
  });
  reason.addEventListener('input', () => {
    deny.disabled = !reason.value.trim();
  });

  replace(panel,
    h('h2', {}, 'Decide'),
    status,
    h('div', { class: 'decide-grid' },
      h('div', { class: 'decide-option' },
        h('h3', {}, 'Approve'),
        h('p', { class: 'muted small' }, 'Release this one call as it is.'),
        approveOnce),
      h('div', { class: 'decide-option' },
        h('h3', {}, 'Approve for a scope'),
        h('p', { class: 'muted small' }, `Also allow ${a.agent_name}’s later calls to ${toolName(a.upstream, a.tool)} for a while, optionally only when the arguments match a pattern.`),
        field('For', ttl), field('Argument pattern (optional)', pattern, 'A regular expression over the arguments as canonical JSON.'),
        approveScope),
      h('details', { class: 'decide-option' },
        h('summary', { testid: 'edit-toggle' }, 'Edit the arguments, then approve'),
        h('p', { class: 'muted small' }, 'Policy is evaluated again on the edited call.'),
        editor, approveEdited),
      h('div', { class: 'decide-option deny-option' },
        h('h3', {}, 'Deny'),
        reason, deny)));
}
