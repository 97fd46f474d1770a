// The header's Admin entry, for site admins only.
import { useCurrentAccount } from './account.js';

export function AdminLink({ user }) {
  const account = useCurrentAccount(user);
  if (!account.data || !account.data.admin) return null;
  return <a href="/admin" data-route id="admin-link">Admin</a>;
}
