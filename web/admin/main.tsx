import { Navigate, Route, Routes } from 'react-router';
import { api } from './api.js';
import { Shell } from '../shared/shell.js';
import { useSignedInUser } from '../shared/session.js';
import { mountSurface } from '../shared/surface-app.js';
import { AuditPage } from './audit/audit-page.js';
import { SettingsPage } from './settings/settings-page.js';
import { UserListPage } from './users/user-list-page.js';
import { UserPage } from './users/user-page.js';


function AdminShell() {
  const user = useSignedInUser();
  const nav = [{ to: '/users', label: 'Manage Users' }];
  if (user.permissions.includes('audit.view')) nav.push({ to: '/audit', label: 'Audit log' });
  return (
    <Shell brand="Admin Platform" nav={nav} menuLinks={[{ to: '/settings', label: 'Settings' }]}>
      <Routes>
        <Route path="/" element={<Navigate to="/users" replace />} />
        <Route path="/users" element={<UserListPage />} />
        <Route path="/users/:id" element={<UserPage />} />
        <Route path="/audit" element={<AuditPage />} />
        <Route path="/settings" element={<SettingsPage />} />
        <Route path="*" element={<Navigate to="/users" replace />} />
      </Routes>
    </Shell>
  );
}

mountSurface({ api, surfaceName: 'Admin Platform', basename: '/admin', routes: <AdminShell /> });
