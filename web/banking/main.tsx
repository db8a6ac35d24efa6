import { Navigate, Route, Routes } from 'react-router';
import { api } from './api.js';
import { Shell } from '../shared/shell.js';
import { mountSurface } from '../shared/surface-app.js';
import { HomePage } from './home/home-page.js';
import { SettingsPage } from './settings/settings-page.js';


function BankingShell() {
  return (
    <Shell brand="Digital Banking" nav={[]} menuLinks={[{ to: '/settings', label: 'Settings' }]}>
      <Routes>
        <Route path="/" element={<HomePage />} />
        <Route path="/settings" element={<SettingsPage />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </Shell>
  );
}

mountSurface({ api, surfaceName: 'Digital Banking', basename: '/', routes: <BankingShell /> });
