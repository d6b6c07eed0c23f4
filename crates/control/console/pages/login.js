// Sign-in: an operator name and password, or the deployment's admin token.
import { h, replace, notice, field } from '../dom.js';
import { post, setCsrfToken } from '../api.js';

export function renderLogin(root, message, onSignedIn) {
  const name = h('input', { name: 'name', autocomplete: 'username', required: true, testid: 'login-name' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, testid: 'login-password' });
  const token = h('input', { name: 'admin_token', type: 'password', autocomplete: 'off', testid: 'login-token' });
  const status = notice();
  if (message) status.show('info', message);
  let useToken = false;
  const credentials = h('div', {});
  const toggle = h('button', { type: 'button', class: 'link-button', testid: 'login-toggle' });
  const showMode = () => {
    replace(credentials, useToken
      ? field('Admin token', token, 'From <data_dir>/admin.token on the gateway host.')
      : [field('Operator', name), field('Password', password)]);
    toggle.textContent = useToken ? 'Sign in with a name and password' : 'Use the admin token instead';
  };
  toggle.addEventListener('click', () => {
    useToken = !useToken;
    showMode();
  });
  showMode();
  const submit = h('button', { type: 'submit', class: 'button primary wide', testid: 'login-submit' }, 'Sign in');
  const form = h('form', { class: 'login-card', testid: 'login-form' },
    h('div', { class: 'login-brand' },
      h('img', { src: '/console/assets/icon.svg', alt: '', width: 40, height: 40 }),
      h('div', {}, h('h1', {}, 'Behavry'), h('p', { class: 'subtitle' }, 'Operator console'))),
    status, credentials, submit, toggle);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    status.hide();
    try {
      const body = useToken ? { admin_token: token.value.trim() } : { name: name.value.trim(), password: password.value };
      const session = await post('/v1/session', body);
      setCsrfToken(session.csrf_token);
      onSignedIn(session);
    } catch (err) {
      const text = err.status === 401 ? 'Those credentials were not accepted.' : err.message;
      status.show('error', text);
      password.value = '';
      token.value = '';
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, h('div', { class: 'login-page' }, form));
  (useToken ? token : name).focus();
}
