// The default transport, for the embedded demo and development: it logs that a notification
// of some kind went to a masked recipient — never the subject, the body or a secret, which is
// why a code sent this way is not readable anywhere.
import type { EmailSender } from './smtp-mailer.js';
import type { SmsSender } from './sms-webhook.js';

export interface TransportLog {
  info(fields: object, message: string): void;
}

export function createLogEmailSender(log: TransportLog): EmailSender {
  return {
    async sendEmail(email) {
      log.info({ kind: email.kind, channel: 'email', to: maskEmail(email.to) }, 'notification delivered to the log (no mail server configured)');
    },
    async close() {},
  };
}

export function createLogSmsSender(log: TransportLog): SmsSender {
  return {
    async sendSms(sms) {
      log.info({ kind: sms.kind, channel: 'sms', to: maskPhone(sms.to) }, 'notification delivered to the log (no SMS gateway configured)');
    },
    async close() {},
  };
}

/** "a•••@example.test": enough to tell addresses apart in a log, not to harvest them. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${address[0]}•••${address.slice(at)}`;
}

/** "•••67": the last two digits only. */
export function maskPhone(number: string): string {
  const digits = number.replace(/\D/g, '');
  return `•••${digits.slice(-2)}`;
}
