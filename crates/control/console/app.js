// The console's entry point: find out who is signed in, then route
// `#/page/...` hashes to page modules inside the shell. Each page's
// render() may return a cleanup function (close a stream, stop a timer).
import { get, setCsrfToken, whenSignedOut } from './api.js';
import { renderShell, setActive } from './shell.js';
import { renderLogin } from './pages/login.js';
import * as overview from './pages/overview.js';
import * as live from './pages/live.js';
import * as approvals from './pages/approvals.js';
import * as approval from './pages/approval.js';
import * as agents from './pages/agents.js';
import * as policies from './pages/policies.js';
import * as trace from './pages/trace.js';
import * as record from './pages/record.js';
import * as kill from './pages/kill.js';
import * as workflows from './pages/workflows.js';
import * as operators from './pages/operators.js';

const ROUTES = [
  { pattern: /^overview$/, page: overview, nav: 'overview' },
  { pattern: /^live$/, page: live, nav: 'live' },
  { pattern: /^approvals$/, page: approvals, nav: 'approvals' },
  { pattern: /^approvals\/(.+)$/, page: approval, nav: 'approvals' },
  { pattern: /^agents$/, page: agents, nav: 'agents' },
  { pattern: /^policies$/, page: policies, nav: 'policies' },
  { pattern: /^trace$/, page: trace, nav: 'trace' },
  { pattern: /^trace\/(.+)$/, page: record, nav: 'trace' },
  { pattern: /^workflows$/, page: workflows, nav: 'workflows' },
  { pattern: /^workflows\/(.+)$/, page: workflows, nav: 'workflows' },
  { pattern: /^kill$/, page: kill, nav: 'kill' },
  { pattern: /^operators$/, page: operators, nav: 'operators' },
];

const root = document.getElementById('app');
const ctx = { operator: null, shell: null, cleanup: null };

function can(role) {
  const order = ['viewer', 'approver', 'admin'];
  return ctx.operator && order.indexOf(ctx.operator.role) >= order.indexOf(role);
}
ctx.can = can;

async function start() {
  whenSignedOut(() => showLogin('Your session has ended. Sign in again.'));
  try {
    const session = await get('/v1/session');
    signedIn(session);
  } catch (err) {
    showLogin(err.status === 401 ? null : err.message);
  }
}

function signedIn(session) {
  ctx.operator = session.operator;
  setCsrfToken(session.csrf_token);
  ctx.shell = renderShell(root, ctx, () => showLogin('You are signed out.'));
  window.addEventListener('hashchange', route);
  route();
}

function showLogin(message) {
  if (ctx.cleanup) ctx.cleanup();
  ctx.cleanup = null;
  if (ctx.shell) ctx.shell.stop();
  ctx.shell = null;
  ctx.operator = null;
  setCsrfToken(null);
  window.removeEventListener('hashchange', route);
  renderLogin(root, message, signedIn);
}

function route() {
  if (!ctx.shell) return;
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, '')) || 'overview';
  const found = ROUTES.find((r) => r.pattern.test(hash));
  if (ctx.cleanup) ctx.cleanup();
  ctx.cleanup = null;
  const main = ctx.shell.main;
  main.replaceChildren();
  window.scrollTo(0, 0);
  if (!found) {
    location.hash = '#/overview';
    return;
  }
  setActive(ctx.shell, found.nav);
  const params = hash.match(found.pattern).slice(1);
  const cleanup = found.page.render(main, ctx, ...params);
  ctx.cleanup = typeof cleanup === 'function' ? cleanup : null;
}

start();
