import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that may hold credentials in anything we log. pino replaces them before serialisation, so a
 * secret passed by mistake in a log object never reaches the output. Values embedded in free text
 * are the caller's job: never interpolate a secret into a message.
 */
export const REDACTED_PATHS = [
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'value',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'data',
  '*.data',
  'stringData',
  '*.stringData',
];

export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: pino.DestinationStream,
): Logger {
  const config: LoggerOptions = {
    name: options.name ?? 'logto-operator',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(config, destination) : pino(config);
}
