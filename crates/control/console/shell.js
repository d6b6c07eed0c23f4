// The frame around every page: navigation (a sidebar that becomes a top
// bar on narrow screens), the signed-in operator, the pending-approvals
// badge and the kill switch banner, both refreshed every few seconds.
import { h, replace } from './dom.js';
import { get, del } from './api.js';
import { plural } from './format.js';

const NAV = [
  { id: 'overview', label: 'Overview' },
  { id: 'live', label: 'Live decisions' },
  { id: 'approvals', label: 'Approvals' },
  { id: 'agents', label: 'Agents' },
  { id: 'policies', label: 'Policies' },
  { id: 'trace', label: 'Decision Trace' },
  { id: 'workflows', label: 'Workflows' },
  { id: 'kill', label: 'Kill switch' },
  { id: 'operators', label: 'Operators', role: 'admin' },
];

export function renderShell(root, ctx, onSignOut) {
  const links = {};
  const badge = h('span', { class: 'nav-badge', testid: 'pending-badge', hidden: true });
  const nav = h('nav', { class: 'nav', 'aria-label': 'Console' },
    NAV.filter((item) => !item.role || ctx.can(item.role)).map((item) => {
      const a = h('a', { href: `#/${item.id}`, class: 'nav-link', testid: `nav-${item.id}` },
        h('span', {}, item.label), item.id === 'approvals' ? badge : null);
      links[item.id] = a;
      return a;
    }));
  const signOut = h('button', { type: 'button', class: 'link-button', testid: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    try {
      await del('/v1/session');
    } finally {
      onSignOut();
    }
  });
  const who = h('div', { class: 'who' },
    h('div', { class: 'who-name', testid: 'operator-name' }, ctx.operator.name),
    h('div', { class: 'who-role' }, ctx.operator.role),
    signOut);
  const banner = h('div', { class: 'kill-banner', testid: 'kill-banner', role: 'alert', hidden: true });
  const main = h('main', { class: 'main', id: 'main' });
  const layout = h('div', { class: 'layout' },
    h('aside', { class: 'sidebar' },
      h('a', { class: 'brand', href: '#/overview' },
        h('img', { src: '/console/assets/icon.svg', alt: '', width: 28, height: 28 }),
        h('span', {}, 'Behavry')),
      nav, who),
    h('div', { class: 'content' }, banner, main));
  replace(root, layout);

  const shell = { main, links, timer: null, stop: () => clearInterval(shell.timer) };
  const refresh = async () => {
    try {
      const pending = await get('/v1/approvals?status=pending&limit=1000');
      const n = pending.approvals.length;
      badge.hidden = n === 0;
      badge.textContent = String(n);
    } catch {
      badge.hidden = true;
    }
    try {
      const state = await get('/v1/kill');
      const engaged = state.switches || [];
      banner.hidden = engaged.length === 0;
      if (engaged.length) {
        const global = engaged.find((s) => s.scope === 'global');
        replace(banner,
          h('strong', {}, global ? 'Global kill switch engaged — every call is blocked.' : `Kill switch engaged: ${plural(engaged.length, 'switch', 'switches')}.`),
          ' ', h('a', { href: '#/kill' }, 'Review'));
      }
    } catch {
      banner.hidden = true;
    }
  };
  refresh();
  shell.timer = setInterval(refresh, 3000);
  shell.refresh = refresh;
  ctx.refreshShell = refresh;
  return shell;
}

export function setActive(shell, id) {
  for (const [key, link] of Object.entries(shell.links)) {
    link.classList.toggle('active', key === id);
    if (key === id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/// A page header: title, optional subtitle and actions on the right.
export function pageHeader(title, subtitle, ...actions) {
  return h('header', { class: 'page-header' },
    h('div', {}, h('h1', {}, title), subtitle ? h('p', { class: 'subtitle' }, subtitle) : null),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}
