// Drives the Behavry operator console in Debian's chromium with
// playwright-core. Usage: node console.mjs SCENARIO < input.json
// The input names the console URL, how to sign in and the scenario's
// parameters; the result is one JSON object on stdout. Screenshots go to
// `input.artifacts`. A scenario fails (exit 1, `{"ok": false, "error"}`)
// when an expected element does not appear or the page reports an error.
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../node/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const TIMEOUT = 20000;

async function readInput() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return JSON.parse(text || '{}');
}

/** A browser page that records console errors, page errors and failed API calls. */
async function open(input, viewport = { width: 1360, height: 900 }) {
  const profile = mkdtempSync(join(tmpdir(), 'behavry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: input.chromium || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
  });
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()} ${msg.location().url || ''}`);
  });
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} ${res.request().method()} ${url.pathname}`);
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { page, problems, close };
}

/** Sign in through the login form; the one expected 401 is the probe before it. */
async function signIn(page, problems, input) {
  await page.goto(input.base_url + '/');
  await page.getByTestId('login-form').waitFor();
  if (input.login.admin_token) {
    await page.getByTestId('login-toggle').click();
    await page.getByTestId('login-token').fill(input.login.admin_token);
  } else {
    await page.getByTestId('login-name').fill(input.login.name);
    await page.getByTestId('login-password').fill(input.login.password);
  }
  await page.getByTestId('login-submit').click();
  await page.getByTestId('operator-name').waitFor();
  // The console first asks who is signed in; before sign-in that is a 401.
  for (let i = problems.length - 1; i >= 0; i--) {
    if (problems[i].startsWith('HTTP 401 GET /v1/session') || problems[i].includes('401 (Unauthorized)')) problems.splice(i, 1);
  }
}

async function shot(page, input, name) {
  if (!input.artifacts) return null;
  mkdirSync(input.artifacts, { recursive: true });
  const path = join(input.artifacts, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Open the approval for `input.tool` from the inbox. */
async function openApproval(page, input) {
  await page.getByTestId('nav-approvals').click();
  if (input.status) await page.getByTestId(`tab-${input.status}`).click();
  const item = page.locator(`[data-testid="approval-item"][data-tool="${input.tool}"]`).first();
  await item.waitFor();
  if (input.shots) await shot(page, input, `${input.shots}-inbox`);
  await item.click();
  await page.getByTestId('approval-facts').waitFor();
  await page.getByTestId('arguments').waitFor();
}

async function decided(page) {
  const status = page.getByTestId('decide-status');
  await status.waitFor({ state: 'visible' });
  return (await status.textContent()).trim();
}

const SCENARIOS = {
  /** Approve once / for a scope / with edited arguments, or deny with a reason. */
  async decide(page, input) {
    await openApproval(page, input);
    const facts = await page.getByTestId('approval-facts').textContent();
    const args = await page.getByTestId('arguments').textContent();
    if (input.shots) await shot(page, input, `${input.shots}-decision`);
    switch (input.action) {
      case 'approve':
        await page.getByTestId('approve-once').click();
        break;
      case 'scope':
        await page.getByTestId('scope-ttl').selectOption(String(input.ttl_secs || 3600));
        if (input.argument_pattern) await page.getByTestId('scope-pattern').fill(input.argument_pattern);
        await page.getByTestId('approve-scope').click();
        break;
      case 'edit':
        await page.getByTestId('edit-toggle').click();
        await page.getByTestId('edit-arguments').fill(JSON.stringify(input.arguments, null, 2));
        await page.getByTestId('approve-edited').click();
        break;
      case 'deny':
        if (!(await page.getByTestId('deny').isDisabled())) throw new Error('deny is enabled without a reason');
        await page.getByTestId('deny-reason').fill(input.reason);
        await page.getByTestId('deny').click();
        break;
      default:
        throw new Error(`unknown action ${input.action}`);
    }
    const message = await decided(page);
    if (input.shots) await shot(page, input, `${input.shots}-decided`);
    return { message, facts, arguments: args };
  },

  /** Open an approval without deciding: what the decision view offers. */
  async view(page, input) {
    await openApproval(page, input);
    if (input.shots) await shot(page, input, `${input.shots}-decision`);
    const decide = page.getByTestId('decide');
    return {
      facts: await page.getByTestId('approval-facts').textContent(),
      reasons: await page.getByTestId('reasons').textContent(),
      decide_visible: await decide.isVisible(),
      decide_text: (await decide.textContent()) || '',
      approve_buttons: await page.getByTestId('approve-once').count(),
    };
  },

  /** Engage a kill switch from the page, see the banner, release it. */
  async kill(page, input) {
    await page.getByTestId('nav-kill').click();
    await page.getByTestId('kill-state').waitFor();
    await page.getByTestId('kill-scope').selectOption(input.scope);
    if (input.target) await page.getByTestId('kill-target').fill(input.target);
    await page.getByTestId('kill-reason').fill(input.reason);
    page.once('dialog', (d) => d.accept());
    await page.getByTestId('kill-engage').click();
    await page.locator(`[data-testid="switches"] li[data-scope="${input.scope}"]`).waitFor();
    await page.getByTestId('kill-banner').waitFor({ state: 'visible' });
    const banner = await page.getByTestId('kill-banner').textContent();
    await shot(page, input, 'kill-engaged');
    if (input.hold) return { banner };
    await page.getByTestId(`release-${input.scope}`).click();
    await page.getByTestId('kill-banner').waitFor({ state: 'hidden' });
    return { banner };
  },

  /** Visit every main page, check its key element, screenshot it (wide and narrow). */
  async tour(page, input, extra) {
    const pages = [
      ['overview', 'card-pending'],
      ['live', 'live-rows'],
      ['approvals', 'approvals-list'],
      ['agents', 'agents-table'],
      ['policies', 'policy-facts'],
      ['trace', 'trace-rows'],
      ['kill', 'kill-state'],
      ['operators', 'operators-table'],
    ];
    const seen = {};
    for (const [name, testid] of pages) {
      await page.getByTestId(`nav-${name}`).click();
      await page.getByTestId(testid).waitFor();
      if (name === 'live') await page.waitForSelector('[data-testid="live-state"].live');
      await page.waitForTimeout(300);
      seen[name] = await shot(page, input, `page-${name}`);
    }
    if (input.decision_id) {
      await page.goto(`${input.base_url}/#/trace/${encodeURIComponent(input.decision_id)}`);
      await page.getByTestId('timeline').waitFor();
      seen.record = await shot(page, input, 'page-trace-record');
    }
    if (input.approval_id) {
      await page.goto(`${input.base_url}/#/approvals/${encodeURIComponent(input.approval_id)}`);
      await page.getByTestId('arguments').waitFor();
      seen.approval = await shot(page, input, 'page-approval');
    }
    const narrow = await extra.openNarrow();
    await narrow.page.getByTestId('card-pending').waitFor();
    seen.narrow = await shot(narrow.page, input, 'page-overview-narrow');
    const navVisible = await narrow.page.getByTestId('nav-approvals').isVisible();
    await narrow.close();
    return { screenshots: seen, narrow_nav_visible: navVisible };
  },

  /** Open `input.workflow_id` from the Workflows page: what its graph, budgets and reads show; revoke it when `input.revoke_reason`. */
  async workflows(page, input) {
    await page.getByTestId('nav-workflows').click();
    const row = page.locator(`[data-testid="workflows-table"] tr[data-workflow="${input.workflow_id}"]`);
    await row.waitFor();
    const listed = (await row.locator('td').allTextContents()).map((t) => t.trim());
    await shot(page, input, 'page-workflows');
    await row.click();
    await page.getByTestId('wf-graph').waitFor();
    const nodes = await page.locator('[data-testid="wf-node"]').evaluateAll((els) => els.map((g) => {
      const box = g.querySelector('.wf-box');
      return {
        decision_id: g.dataset.decision,
        parent: g.dataset.parent,
        agent: g.dataset.agent,
        tool: g.dataset.tool,
        verdict: g.dataset.verdict,
        outcome: g.dataset.outcome,
        level: Number(g.dataset.level),
        x: box.getBBox().x,
        fill: getComputedStyle(box).fill,
        text: [...g.querySelectorAll('text')].map((t) => t.textContent).join(' | '),
        href: g.querySelector('a').getAttribute('href'),
      };
    }));
    const edges = await page.locator('[data-testid="wf-edge"]').evaluateAll((els) => els.map((p) => ({ from: p.dataset.from, to: p.dataset.to })));
    const budgets = await page.locator('[data-testid="wf-budgets"] tr').evaluateAll((rows) => rows.map((r) => ({ counter: r.dataset.counter, used: r.dataset.used, limit: r.dataset.limit, text: r.textContent })));
    const reads = (await page.getByTestId('wf-reads').textContent()) || '';
    await shot(page, input, 'page-workflow');
    const revokeButtons = await page.getByTestId('wf-revoke').count();
    let revocations = null;
    if (input.revoke_reason) {
      await page.getByTestId('wf-revoke-reason').fill(input.revoke_reason);
      page.once('dialog', (d) => d.accept());
      await page.getByTestId('wf-revoke').click();
      revocations = (await page.getByTestId('wf-revocations').textContent()) || '';
      await shot(page, input, 'page-workflow-revoked');
    }
    return { listed, nodes, edges, budgets, reads, revoke_buttons: revokeButtons, revocations, revoke_after: await page.getByTestId('wf-revoke').count() };
  },

  /** Watch the live page until a decision for `input.tool` streams in. */
  async live(page, input) {
    await page.getByTestId('nav-live').click();
    await page.waitForSelector('[data-testid="live-state"].live');
    if (input.verdict) await page.getByTestId('live-verdict').selectOption(input.verdict);
    await page.waitForSelector('[data-testid="live-state"].live');
    process.stdout.write(JSON.stringify({ ready: true }) + '\n');
    const row = page.locator(`[data-testid="live-rows"] tr[data-tool="${input.tool}"]`).first();
    await row.waitFor({ timeout: input.wait_ms || TIMEOUT });
    const verdicts = await page.locator('[data-testid="live-rows"] tr').evaluateAll((rows) => rows.map((r) => r.dataset.verdict));
    await shot(page, input, 'page-live-streaming');
    return { verdict: await row.getAttribute('data-verdict'), verdicts };
  },
};

async function main() {
  const name = process.argv[2];
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(', ')}`);
  const input = await readInput();
  const { page, problems, close } = await open(input);
  const opened = [];
  const extra = {
    openNarrow: async () => {
      const narrow = await open(input, { width: 390, height: 844 });
      opened.push(narrow);
      await signIn(narrow.page, narrow.problems, input);
      return { page: narrow.page, close: async () => {} };
    },
  };
  let result;
  try {
    await signIn(page, problems, input);
    result = await scenario(page, input, extra);
    await page.waitForTimeout(200);
  } catch (err) {
    await shot(page, input, `failure-${name}`).catch(() => null);
    throw Object.assign(err, { problems });
  } finally {
    for (const o of opened) {
      problems.push(...o.problems);
      await o.close();
    }
    await close();
  }
  const allowed = input.allow_problems || [];
  const unexpected = problems.filter((p) => !allowed.some((a) => p.includes(a)));
  if (unexpected.length) throw Object.assign(new Error(`the page reported problems: ${unexpected.join('; ')}`), { problems });
  return { ok: true, ...result, problems };
}

main().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exit(0);
  },
  (err) => {
    process.stdout.write(JSON.stringify({ ok: false, error: String(err && err.stack || err), problems: err.problems || [] }) + '\n');
    process.exit(1);
  },
);
