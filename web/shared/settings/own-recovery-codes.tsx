// A person's own recovery codes, just generated: shown once, with copy, download and print,
// and closed only with "I have saved these codes". Used in Settings and when securing the
// account. The codes live only in the caller's state and this component's props.
import type { Ref } from 'react';
import { CodesSheet } from '../codes-sheet.js';
import { useSignedInUser } from '../session.js';
import { Alert, Button, formatDate } from '../../ui/components.js';

export function OwnRecoveryCodes({
  codes,
  generatedAt,
  surfaceName,
  headingRef,
  onSaved,
}: {
  codes: string[];
  generatedAt: Date;
  surfaceName: string;
  headingRef?: Ref<HTMLHeadingElement>;
  onSaved: () => void;
}) {
  const user = useSignedInUser();
  const name = `${user.firstName} ${user.lastName}`;
  const date = `Generated ${formatDate(generatedAt.toISOString())}`;
  const title = `${surfaceName} recovery codes`;
  const fileName = `${surfaceName.toLowerCase().replaceAll(' ', '-')}-recovery-codes.txt`;
  const text = [title, name, date, '', ...codes, '', 'Each code can be used only once. Keep them somewhere safe.', ''].join('\n');
  return (
    <>
      <h3 ref={headingRef} tabIndex={-1} className="no-print">
        Your recovery codes
      </h3>
      <div className="no-print">
        <Alert tone="warning" title="Store these codes somewhere safe now. They are shown only this once.">
          <p>Each code can be used once to sign in when you don’t have your device. Your older backup codes no longer work.</p>
        </Alert>
      </div>
      <CodesSheet codes={codes} printHeading={title} printLines={[name, date]} download={{ fileName, text }}>
        <div className="codes-done no-print">
          <Button onClick={onSaved}>I have saved these codes</Button>
        </div>
      </CodesSheet>
    </>
  );
}
