// Builds the transport the worker uses from configuration: SMTP or the log for email, the
// HTTP gateway or the log for SMS, each on its own.
import type { Config } from '../../config.js';
import type { NotificationTransport } from '../../modules/notifications/notification-transport.js';
import { type TransportLog, createLogEmailSender, createLogSmsSender } from './log-transport.js';
import { createSmtpMailer } from './smtp-mailer.js';
import { createSmsWebhook } from './sms-webhook.js';

export function createNotificationTransport(config: Config['notifications'], log: TransportLog): NotificationTransport {
  const email = config.email.kind === 'smtp' ? createSmtpMailer(config.email) : createLogEmailSender(log);
  const sms = config.sms.kind === 'webhook' ? createSmsWebhook(config.sms) : createLogSmsSender(log);
  return {
    sendEmail: (message) => email.sendEmail(message),
    sendSms: (message) => sms.sendSms(message),
    close: async () => {
      await Promise.all([email.close(), sms.close()]);
    },
  };
}
