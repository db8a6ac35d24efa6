// Digital Banking's Settings (SPEC §4, §2 step 7): the shared page (../../shared/settings/)
// on this surface's API.
import { SettingsPage as SharedSettingsPage } from '../../shared/settings/settings-page.js';
import { api } from '../api.js';

export function SettingsPage() {
  return <SharedSettingsPage api={api} surfaceName="Digital Banking" />;
}
