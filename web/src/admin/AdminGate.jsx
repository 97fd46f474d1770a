// The admin pages, for site admins; anyone else is told they are not allowed.
import { useCurrentAccount } from './account.js';
import { Status } from '../components/Status.jsx';

export function AdminGate({ user, children }) {
  const account = useCurrentAccount(user);
  if (!account.data) return <Status state={account} what="your account" />;
  if (!account.data.admin) {
    return <p class="error" role="alert" id="not-allowed">You are not allowed to use the administration pages: they are for site administrators.</p>;
  }
  return children;
}
