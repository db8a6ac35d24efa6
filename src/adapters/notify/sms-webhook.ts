// SMS through an HTTP gateway: a JSON POST of {to, text} to SMS_WEBHOOK_URL; any 2xx is
// accepted. Credentials in the URL (https://user:pass@…) are sent as Basic authentication,
// since fetch refuses URLs that carry them.
import type { NotificationTransport } from '../../modules/notifications/notification-transport.js';

export type SmsSender = Pick<NotificationTransport, 'sendSms' | 'close'>;

const REQUEST_TIMEOUT_IN_MS = 10_000;

export function createSmsWebhook(config: { url: string }): SmsSender {
  const url = new URL(config.url);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (url.username !== '' || url.password !== '') {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return {
    async sendSms(sms) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ to: sms.to, text: sms.text }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_IN_MS),
        });
      } catch (error) {
        throw new Error(`SMS gateway unreachable: ${reasonOf(error)}`);
      }
      // The gateway's body is never read into the error: it may echo the message, code included.
      await response.body?.cancel();
      if (!response.ok) throw new Error(`SMS gateway answered HTTP ${response.status}`);
    },
    async close() {},
  };
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return error.name === 'TimeoutError' ? 'timed out' : error.message;
}
