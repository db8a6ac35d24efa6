// Phone numbers of SMS factors: accepted in international form, kept as E.164, shown and
// logged masked (the last four digits at most in a label, the last two in a log).

/** "+44 7700 900123", "+1 (555) 000-1234" → "+447700900123"; null when not an international number. */
export function normalizePhone(input: string): string | null {
  const compact = input.trim().replace(/[\s().-]/g, '');
  const withPlus = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  return /^\+[1-9]\d{7,14}$/.test(withPlus) ? withPlus : null;
}

export const PHONE_FORMAT_MESSAGE = 'Enter a mobile number in international format, starting with + and the country code, such as +44 7700 900123.';

/** "Text message to •••• 4567": enough to tell two phones apart, not to harvest the number. */
export function smsFactorLabel(phone: string): string {
  return `Text message to •••• ${phone.slice(-4)}`;
}

/** For audit details and logs: the last two digits only. */
export function phoneEnding(phone: string): string {
  return phone.slice(-2);
}
