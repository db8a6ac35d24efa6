// The Admin Platform's Settings for the signed-in staff member: the shared page
// (../../shared/settings/) on this surface's API.
import { SettingsPage as SharedSettingsPage } from '../../shared/settings/settings-page.js';
import { api } from '../api.js';

export function SettingsPage() {
  return <SharedSettingsPage api={api} surfaceName="Admin Platform" />;
}
