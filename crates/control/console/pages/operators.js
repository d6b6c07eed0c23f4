// Operators (admins only): who may sign in to the console, their role and
// approval groups; add, change role, disable.
import { h, replace, notice, field, actionButton } from '../dom.js';
import { get, post, patch } from '../api.js';
import { pageHeader } from '../shell.js';
import { statusBadge, dateTime } from '../format.js';

const ROLES = ['viewer', 'approver', 'admin'];

export function render(main, ctx) {
  const status = notice();
  const table = h('div', { class: 'table-wrap' });
  if (!ctx.can('admin')) {
    replace(main, pageHeader('Operators'), h('p', { class: 'muted' }, 'Only admins manage operators.'));
    return undefined;
  }
  replace(main, pageHeader('Operators', 'People who sign in to this console. Viewers read; approvers also decide approvals and use the kill switch; admins manage everything.'), status, addForm(status, () => load()), table);

  const load = async () => {
    let ops;
    try {
      ops = (await get('/v1/operators')).operators;
    } catch (err) {
      status.show('error', err.message);
      return;
    }
    replace(table, h('table', { class: 'table', testid: 'operators-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Operator'), h('th', {}, 'Role'), h('th', {}, 'Groups'), h('th', {}, 'Password'), h('th', {}, 'Added'), h('th', {}, 'Status'), h('th', {}))),
      h('tbody', {}, ops.map((o) => {
        const role = h('select', { disabled: o.disabled }, ROLES.map((r) => h('option', { value: r }, r)));
        role.value = o.role;
        role.addEventListener('change', async () => {
          try {
            await patch(`/v1/operators/${encodeURIComponent(o.name)}`, { role: role.value });
            status.show('ok', `${o.name} is now ${role.value}.`);
          } catch (err) {
            status.show('error', err.message);
            role.value = o.role;
          }
        });
        return h('tr', {},
          h('td', { class: 'strong' }, o.name),
          h('td', {}, role),
          h('td', {}, o.groups.length ? o.groups.join(', ') : '—'),
          h('td', {}, o.has_password ? 'set' : 'not set'),
          h('td', { class: 'muted' }, dateTime(o.created_at)),
          h('td', {}, o.disabled ? statusBadge('disabled') : statusBadge('active')),
          h('td', { class: 'right' }, o.disabled ? null : actionButton('Disable', { class: 'button small danger-outline' }, async () => {
            if (!window.confirm(`Disable ${o.name}? Their sessions end at once.`)) return;
            try {
              await post(`/v1/operators/${encodeURIComponent(o.name)}/disable`);
              load();
            } catch (err) {
              status.show('error', err.message);
            }
          })));
      }))));
  };
  load();
  return undefined;
}

function addForm(status, reload) {
  const name = h('input', { required: true, placeholder: 'alice', autocomplete: 'off' });
  const role = h('select', {}, ROLES.map((r) => h('option', { value: r }, r)));
  role.value = 'approver';
  const groups = h('input', { placeholder: 'finance, ops' });
  const password = h('input', { type: 'password', minlength: 12, autocomplete: 'new-password', placeholder: 'at least 12 characters' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Add operator');
  const form = h('form', { class: 'panel inline-form' }, h('h2', {}, 'Add an operator'),
    h('div', { class: 'form-row' }, field('Name', name), field('Role', role), field('Groups', groups), field('Password', password), submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const body = { name: name.value.trim(), role: role.value, groups: groups.value.split(',').map((g) => g.trim()).filter(Boolean) };
      if (password.value) body.password = password.value;
      await post('/v1/operators', body);
      status.show('ok', `${body.name} added.`);
      form.reset();
      role.value = 'approver';
      reload();
    } catch (err) {
      status.show('error', err.message);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
