// The login form: local and LDAP accounts alike (the server tries both), the server's
// own message when it refuses (wrong password, account disabled or not verified, ...),
// and the institution's login when the site configured one.
import { useState } from 'preact/hooks';
import { logIn } from '../session.js';

// The institution's address, asking to come back to this page (a deep link) when it names
// no target itself; /data/services/login-redirect reads `to`, other addresses ignore it.
function institutionHref(url) {
  if (/[?&]to=/.test(url)) return url;
  const here = window.location.pathname + window.location.search;
  return `${url}${url.includes('?') ? '&' : '?'}to=${encodeURIComponent(here)}`;
}

export function LoginPage({ options, notice, onLoggedIn }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      onLoggedIn(await logIn(user, password));
    } catch (err) {
      setError(err.status === 401 && /requires user authentication/i.test(err.message)
        ? 'Wrong user name or password.'
        : err.message);
    } finally {
      setBusy(false);
    }
  };

  const inst = options.institutionLogin;
  return (
    <main class="login" id="main">
      <h1>Arca</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <form onSubmit={submit} aria-label="Log in">
        <label for="login-user">User name</label>
        <input id="login-user" name="username" autocomplete="username" required
          value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" required
          autocomplete="current-password"
          value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>Log in</button>
        {error && <p class="error" role="alert" id="login-error">{error}</p>}
      </form>
      {inst && (
        <p class="institution">
          <a class="button" id="institution-login" href={institutionHref(inst.url)}>{inst.label}</a>
        </p>
      )}
    </main>
  );
}
