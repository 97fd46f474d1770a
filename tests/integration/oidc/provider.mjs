// A private OpenID Connect provider for Arca's integration tests, on loopback only.
//   OP_PORT=.. CLIENT_ID=.. CLIENT_SECRET=.. REDIRECT_URIS="http://127.0.0.1:8080/cb .." \
//   node provider.mjs
// One confidential client, a few fixed users, a plain login form and no consent
// page (the client is first-party, so its grant is made at login). Started and stopped by
// oidc_env.py.
import http from 'node:http';
import { Provider } from 'oidc-provider';

const { OP_PORT, CLIENT_ID, CLIENT_SECRET } = process.env;
const REDIRECT_URIS = (process.env.REDIRECT_URIS || '').split(' ').filter(Boolean);

// accountId (sub) -> password and claims. mary has only a display name, no given/family.
const USERS = {
  alice: { password: 'alice-pw', claims: { email: 'alice@example.org', email_verified: true,
    name: 'Alice Liddell', given_name: 'Alice', family_name: 'Liddell' } },
  mary: { password: 'mary-pw', claims: { email: 'mary@example.org', email_verified: true,
    name: 'Mary Ann Evans' } },
  ted: { password: 'ted-pw', claims: { email: 'ted@example.org', email_verified: true,
    name: 'Ted Nelson', given_name: 'Ted', family_name: 'Nelson' } },
};

const provider = new Provider(`http://127.0.0.1:${OP_PORT}`, {
  clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
              redirect_uris: REDIRECT_URIS }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'],
            profile: ['name', 'given_name', 'family_name'] },
  async findAccount(ctx, sub) {
    const user = USERS[sub];
    return user && { accountId: sub, claims: async () => ({ sub, ...user.claims }) };
  },
  // First-party client: grant what it asks for at login, with no consent page.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId,
                                                accountId: session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  cookies: { keys: ['arca-test-cookie-key'] },
  features: { devInteractions: { enabled: false } },
});

const loginForm = (uid, message = '') => `<!doctype html><title>Log in</title><p>${message}</p>
<form method="post" action="/interaction/${uid}">
<input name="login"><input type="password" name="password"><button>Log in</button></form>`;

async function interaction(req, res) {
  const { uid, prompt } = await provider.interactionDetails(req, res);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  if (prompt.name !== 'login') {
    res.statusCode = 400;
    return res.end(`unexpected prompt ${prompt.name}`);
  }
  if (req.method === 'GET') return res.end(loginForm(uid));
  let body = '';
  for await (const chunk of req) body += chunk;
  const form = new URLSearchParams(body);
  const user = USERS[form.get('login')];
  if (!user || user.password !== form.get('password')) {
    res.statusCode = 401;
    return res.end(loginForm(uid, 'Wrong login or password.'));
  }
  return provider.interactionFinished(req, res, { login: { accountId: form.get('login') } },
                                      { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((e) => { res.statusCode = 500; res.end(String(e)); });
  } else {
    callback(req, res);
  }
}).listen(Number(OP_PORT), '127.0.0.1', () => console.log(`OP ready on ${OP_PORT}`));
