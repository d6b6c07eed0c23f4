// Agents: who may call tools, their owner and role, when each last made a
// call; register (the credential is shown once), rotate, revoke, and kill
// (engage an agent-scoped kill switch).
import { h, replace, notice, field, actionButton, emptyState } from '../dom.js';
import { get, post } from '../api.js';
import { pageHeader } from '../shell.js';
import { statusBadge, timeAgo, dateTime } from '../format.js';

export function render(main, ctx) {
  const status = notice();
  const secret = h('div', { testid: 'credential-box' });
  const table = h('div', { class: 'table-wrap' });
  const create = ctx.can('admin') ? createForm(status, secret, () => load()) : null;
  replace(main, pageHeader('Agents', 'Each agent has its own credential; policy decides what it may call.'), status, secret, create, table);

  const load = async () => {
    let agents;
    let killed = new Set();
    try {
      agents = (await get('/v1/agents')).agents;
    } catch (err) {
      status.show('error', err.message);
      return;
    }
    try {
      killed = new Set((await get('/v1/kill')).switches.filter((s) => s.scope === 'agent').map((s) => s.target));
    } catch {
      killed = new Set();
    }
    if (!agents.length) {
      replace(table, emptyState('No agents yet', 'Register one above, or with `behavry agent create NAME --role ROLE`.'));
      return;
    }
    replace(table, h('table', { class: 'table', testid: 'agents-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Agent'), h('th', {}, 'Role'), h('th', {}, 'Owner'), h('th', {}, 'Last activity'), h('th', {}, 'Registered'), h('th', {}, 'Status'), h('th', {}))),
      h('tbody', {}, agents.map((a) => h('tr', { dataset: { agent: a.name } },
        h('td', {}, h('a', { class: 'strong', href: `#/live?agent=${encodeURIComponent(a.name)}` }, a.name),
          Object.keys(a.labels || {}).length ? h('div', { class: 'labels' }, Object.entries(a.labels).map(([k, v]) => h('span', { class: 'label' }, `${k}=${v}`))) : null),
        h('td', {}, a.role),
        h('td', {}, a.owner || '—'),
        h('td', { title: a.last_activity ? dateTime(a.last_activity) : '' }, a.last_activity ? timeAgo(a.last_activity) : 'never'),
        h('td', { class: 'muted' }, dateTime(a.created_at)),
        h('td', {}, a.revoked ? statusBadge('revoked') : killed.has(a.name) ? statusBadge('engaged', 'killed') : statusBadge('active')),
        h('td', { class: 'right nowrap' }, a.revoked ? null : rowActions(ctx, a, killed.has(a.name), status, secret, load)))))));
  };
  load();
  const timer = setInterval(load, 10000);
  return () => clearInterval(timer);
}

function rowActions(ctx, a, killed, status, secret, reload) {
  const out = [];
  if (ctx.can('approver') && !killed) {
    out.push(actionButton('Kill', { class: 'button small danger-outline', testid: `kill-${a.name}` }, async () => {
      const reason = window.prompt(`Block every call by ${a.name} until released. Reason:`);
      if (!reason || !reason.trim()) return;
      try {
        await post('/v1/kill', { scope: 'agent', target: a.name, reason: reason.trim() });
        status.show('ok', `${a.name} is stopped: every call it makes is blocked.`);
        reload();
      } catch (err) {
        status.show('error', err.message);
      }
    }));
  }
  if (ctx.can('admin')) {
    out.push(actionButton('Rotate', { class: 'button small' }, async () => {
      try {
        const out = await post(`/v1/agents/${encodeURIComponent(a.name)}/rotate`);
        showCredential(secret, out.agent.name, out.credential);
        reload();
      } catch (err) {
        status.show('error', err.message);
      }
    }));
    out.push(actionButton('Revoke', { class: 'button small danger-outline', testid: `revoke-${a.name}` }, async () => {
      if (!window.confirm(`Revoke ${a.name}? Its credential stops working at once.`)) return;
      try {
        await post(`/v1/agents/${encodeURIComponent(a.name)}/revoke`);
        status.show('ok', `${a.name} is revoked.`);
        reload();
      } catch (err) {
        status.show('error', err.message);
      }
    }));
  }
  return out;
}

function createForm(status, secret, reload) {
  const name = h('input', { required: true, placeholder: 'analyst-1', testid: 'agent-name' });
  const role = h('input', { required: true, placeholder: 'analyst', testid: 'agent-role' });
  const owner = h('input', { placeholder: 'team or person', testid: 'agent-owner' });
  const submit = h('button', { type: 'submit', class: 'button primary', testid: 'agent-create' }, 'Register agent');
  const form = h('form', { class: 'panel inline-form' },
    h('h2', {}, 'Register an agent'),
    h('div', { class: 'form-row' }, field('Name', name), field('Role', role), field('Owner', owner), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const body = { name: name.value.trim(), role: role.value.trim() };
      if (owner.value.trim()) body.owner = owner.value.trim();
      const out = await post('/v1/agents', body);
      showCredential(secret, out.agent.name, out.credential);
      status.hide();
      form.reset();
      reload();
    } catch (err) {
      status.show('error', err.message);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function showCredential(box, name, credential) {
  const value = h('code', { class: 'secret', testid: 'credential' }, credential);
  const copy = h('button', { type: 'button', class: 'button small' }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(credential);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Select and copy';
    }
  });
  const dismiss = h('button', { type: 'button', class: 'link-button' }, 'I have stored it');
  dismiss.addEventListener('click', () => box.replaceChildren());
  replace(box, h('div', { class: 'panel credential' },
    h('h2', {}, `Credential for ${name}`),
    h('p', {}, 'Shown only now. Give it to the agent as ', h('code', {}, 'Authorization: Bearer …'), '.'),
    h('div', { class: 'secret-row' }, value, copy),
    dismiss));
}
