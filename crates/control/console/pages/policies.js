// Policies: the active revision, whether the last reload validated, its
// error when it did not, and a reload for admins.
import { h, replace, notice, actionButton } from '../dom.js';
import { get, post } from '../api.js';
import { pageHeader } from '../shell.js';
import { statusBadge, dateTime } from '../format.js';

export function render(main, ctx) {
  const status = notice();
  const body = h('div', {});
  const reload = ctx.can('admin')
    ? actionButton('Reload policies', { class: 'button primary', testid: 'policy-reload' }, async () => {
      try {
        const out = await post('/v1/policy/reload');
        status.show('ok', `Reloaded. Active revision ${out.revision.slice(0, 12)}.`);
      } catch (err) {
        status.show('error', err.message);
      }
      load();
    })
    : null;
  replace(main, pageHeader('Policies', 'Rego policy deciding every call. A set that fails to parse or fails its own tests is never activated.', reload), status, body);

  const load = async () => {
    let p;
    try {
      p = await get('/v1/policy');
    } catch (err) {
      status.show('error', err.message);
      return;
    }
    const s = p.policy;
    replace(body,
      h('section', { class: 'panel' },
        h('div', { class: 'panel-head' }, h('h2', {}, 'Active policy set'),
          s.last_error ? statusBadge('rejected', 'last reload failed') : statusBadge('approved', 'valid')),
        h('dl', { class: 'facts', testid: 'policy-facts' },
          h('dt', {}, 'Revision'), h('dd', { class: 'mono', testid: 'policy-revision' }, s.revision),
          h('dt', {}, 'Loaded'), h('dd', {}, dateTime(s.loaded_at_unix_ms / 1000)),
          h('dt', {}, 'Directory'), h('dd', { class: 'mono' }, p.dir),
          h('dt', {}, 'Files'), h('dd', {}, String(s.files)),
          h('dt', {}, 'Policy tests'), h('dd', {}, `${s.tests} passing`),
          s.engine ? [h('dt', {}, 'Engine'), h('dd', {}, s.engine)] : null,
          h('dt', {}, 'Reloads'), h('dd', {}, `${s.reload_count} applied, ${s.failed_reload_count} rejected`))),
      s.last_error
        ? h('section', { class: 'panel panel-alert', testid: 'policy-error' },
          h('h2', {}, 'Last reload error'),
          h('p', { class: 'muted small' }, 'The previous set stays active until the error is fixed.'),
          h('pre', { class: 'error-text' }, s.last_error))
        : null);
  };
  load();
  const timer = setInterval(load, 5000);
  return () => clearInterval(timer);
}
