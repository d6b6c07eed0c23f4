// The kill switch: what is engaged right now, release, and engage — for
// everything (global), one agent, one workflow, one upstream or one tool.
// Engaging blocks matching calls at once and rejects their pending approvals.
import { h, replace, notice, field, actionButton, emptyState } from '../dom.js';
import { get, post, del } from '../api.js';
import { pageHeader } from '../shell.js';
import { dateTime } from '../format.js';

const SCOPES = [
  ['global', 'Everything', 'Every call from every agent is blocked.'],
  ['agent', 'One agent', 'Agent name'],
  ['upstream', 'One upstream', 'Upstream name'],
  ['tool', 'One tool', 'upstream.tool'],
  ['workflow', 'One workflow', 'Workflow id'],
];

export function render(main, ctx) {
  const status = notice();
  const state = h('section', { class: 'kill-state', testid: 'kill-state' });
  const engage = ctx.can('approver') ? engageForm(status, () => load(), ctx) : h('p', { class: 'muted' }, `Your role (${ctx.operator.role}) can see kill switches but not change them.`);
  replace(main, pageHeader('Kill switch', 'Stop calls immediately, without touching policy. Release to resume.'), status, state, engage);

  const load = async () => {
    let switches;
    try {
      switches = (await get('/v1/kill')).switches;
    } catch (err) {
      replace(state, h('div', { class: 'notice notice-error' }, err.status === 404 ? 'The kill switch is not available on this gateway.' : err.message));
      return;
    }
    if (!switches.length) {
      state.className = 'kill-state off';
      replace(state, h('div', { class: 'kill-state-title' }, h('span', { class: 'dot dot-ok' }), 'No kill switch engaged'), h('p', { class: 'muted' }, 'Calls are decided by policy as usual.'));
      return;
    }
    state.className = 'kill-state on';
    replace(state,
      h('div', { class: 'kill-state-title' }, h('span', { class: 'dot dot-alert' }), switches.some((s) => s.scope === 'global') ? 'Global kill switch engaged' : `${switches.length} kill switch${switches.length > 1 ? 'es' : ''} engaged`),
      h('ul', { class: 'switches', testid: 'switches' }, switches.map((s) => h('li', { dataset: { scope: s.scope, target: s.target || '' } },
        h('div', {},
          h('div', { class: 'strong' }, s.scope === 'global' ? 'Everything' : `${s.scope}: `, s.target ? h('span', { class: 'mono' }, s.target) : null),
          h('div', { class: 'muted small' }, `${s.reason || 'no reason given'} · by ${s.engaged_by} · ${dateTime(s.engaged_at)}`)),
        ctx.can('approver') ? actionButton('Release', { class: 'button', testid: `release-${s.scope}` }, async () => {
          try {
            await del(`/v1/kill/${encodeURIComponent(s.id)}`);
            status.show('ok', `Released ${s.scope}${s.target ? ` ${s.target}` : ''}.`);
            load();
            if (ctx.refreshShell) ctx.refreshShell();
          } catch (err) {
            status.show('error', err.message);
          }
        }) : null))));
  };
  load();
  const timer = setInterval(load, 3000);
  return () => clearInterval(timer);
}

function engageForm(status, reload, ctx) {
  const scope = h('select', { testid: 'kill-scope' }, SCOPES.map(([v, label]) => h('option', { value: v }, label)));
  const target = h('input', { testid: 'kill-target', disabled: true });
  const reason = h('input', { required: true, placeholder: 'What happened?', testid: 'kill-reason' });
  const hint = h('p', { class: 'muted small' });
  const sync = () => {
    const [, , help] = SCOPES.find(([v]) => v === scope.value);
    target.disabled = scope.value === 'global';
    target.placeholder = scope.value === 'global' ? '—' : help;
    hint.textContent = scope.value === 'global' ? help : `Every call matching this ${scope.value} is blocked.`;
  };
  scope.addEventListener('change', sync);
  sync();
  const button = actionButton('Engage kill switch', { class: 'button danger big', testid: 'kill-engage' }, async () => {
    if (!reason.value.trim()) {
      status.show('error', 'Give a reason: it is recorded in the trace.');
      return;
    }
    if (scope.value !== 'global' && !target.value.trim()) {
      status.show('error', `Name the ${scope.value} to stop.`);
      return;
    }
    if (scope.value === 'global' && !window.confirm('Block every call from every agent until released?')) return;
    try {
      const body = { scope: scope.value, reason: reason.value.trim() };
      if (scope.value !== 'global') body.target = target.value.trim();
      const out = await post('/v1/kill', body);
      status.show('ok', `Engaged. ${out.rejected_approvals ?? 0} pending approval(s) rejected, ${out.aborted_calls ?? 0} held call(s) aborted.`);
      reason.value = '';
      target.value = '';
      reload();
      if (ctx.refreshShell) ctx.refreshShell();
    } catch (err) {
      status.show('error', err.message);
    }
  });
  return h('section', { class: 'panel' },
    h('h2', {}, 'Engage'),
    h('div', { class: 'form-row' }, field('Scope', scope), field('Target', target), field('Reason', reason)),
    hint, button);
}
