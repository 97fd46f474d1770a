// The app's frame: who is logged in, the login page until someone is, then the page the
// address names, under a header with the session's countdown and the logout.
import { useEffect, useRef, useState } from 'preact/hooks';
import { onUnauthorized } from './api.js';
import { currentUser, loginOptions, logOut } from './session.js';
import { match, navigate, onLinkClick, useLocation } from './router.js';
import { LoginPage } from './pages/LoginPage.jsx';
import { SessionClock } from './SessionClock.jsx';
import { ProjectsPage } from './pages/ProjectsPage.jsx';
import { ProjectPage } from './pages/ProjectPage.jsx';
import { SubjectPage } from './pages/SubjectPage.jsx';
import { SessionPage } from './pages/SessionPage.jsx';
import { ScanPage } from './pages/ScanPage.jsx';
import { UploadPage } from './pages/UploadPage.jsx';
import { PrearchivePage } from './pages/PrearchivePage.jsx';
import { CustomVariablesPage } from './pages/CustomVariablesPage.jsx';
import { ProjectSettingsPage } from './pages/ProjectSettingsPage.jsx';
import { AdminPage } from './pages/AdminPage.jsx';
import { UserEditPage } from './pages/UserEditPage.jsx';
import { AdminLink } from './admin/AdminLink.jsx';
import { SearchPage } from './pages/SearchPage.jsx';

const PAGES = {
  projects: ProjectsPage,
  project: ProjectPage,
  subject: SubjectPage,
  session: SessionPage,
  scan: ScanPage,
  upload: UploadPage,
  prearchive: PrearchivePage,
  customVariables: CustomVariablesPage,
  projectSettings: ProjectSettingsPage,
  admin: AdminPage,
  adminUser: UserEditPage,
  search: SearchPage,
};

export function App() {
  const path = useLocation();
  const [user, setUser] = useState(undefined); // undefined: not known yet
  const [options, setOptions] = useState(null);
  const [notice, setNotice] = useState('');
  // set while logging out: a page's request still in flight then answers 401, which is
  // the logout itself, not a session that ended
  const leaving = useRef(false);

  useEffect(() => {
    loginOptions().then(setOptions);
    currentUser().then(setUser, () => setUser(null));
    return onUnauthorized(() => {
      if (leaving.current) return;
      setNotice('Your session has ended; please log in again.');
      setUser(null);
    });
  }, []);

  if (user === undefined || options === null) return <p class="loading">Loading…</p>;
  if (user === null) {
    return (
      <LoginPage
        options={options}
        notice={notice}
        onLoggedIn={(u) => { leaving.current = false; setNotice(''); setUser(u); }}
      />
    );
  }

  const ended = (message) => {
    setNotice(message);
    setUser(null);
  };
  const doLogout = async () => {
    leaving.current = true;
    try { await logOut(); } finally {
      ended('You have logged out.');
      navigate('/');
    }
  };
  const route = match(path);
  const Page = route ? PAGES[route.name] : null;
  return (
    <div class="frame" onClick={onLinkClick}>
      <header class="top">
        <a href="/" data-route class="brand">Arca</a>
        <nav aria-label="Main"><a href="/" data-route>Projects</a> <a href="/upload" data-route>Upload</a> <a href="/prearchive" data-route>Prearchive</a> <a href="/search" data-route>Search</a> <AdminLink user={user} /></nav>
        <div class="who">
          <span>Logged in as <strong>{user}</strong></span>
          <SessionClock
            timeout={options.sessionTimeout}
            onExpired={() => logOut().catch(() => {}).finally(() =>
              ended('Your session ended after a time without use; please log in again.'))}
          />
          <button type="button" onClick={doLogout}>Log out</button>
        </div>
      </header>
      <main id="main">
        {Page ? <Page key={path} params={route.params} user={user} /> : (
          <section><h1>Not found</h1><p>There is no page at this address.</p></section>
        )}
      </main>
    </div>
  );
}
